using Adef.MLNet.Classifiers;
using Adef.MLNet.Transforms;

namespace Microsoft.ML;

public static partial class AttackTransformsCatalog
{
    /// <summary>Attacks each row's "Pixels" column with Pgd against the ONNX classifier in <paramref name="onnxModelPath"/> and
    /// writes the adversarial pixels over it, adding the columns of <see cref="PgdTransformOptions"/> under their default names.</summary>
    /// <inheritdoc cref="Adef(TransformsCatalog, string)" path="/param|/exception"/>
    public static AttackEstimator<PgdTransformOptions> Pgd(this TransformsCatalog catalog, string onnxModelPath) =>
        FromPath(catalog, onnxModelPath, new PgdTransformOptions());

    /// <summary>Attacks each row's <paramref name="inputColumnName"/> with Pgd against the ONNX classifier in
    /// <paramref name="onnxModelPath"/> and writes the adversarial pixels to <paramref name="outputColumnName"/>.</summary>
    /// <inheritdoc cref="Adef(TransformsCatalog, string, string, string?)" path="/param|/exception"/>
    public static AttackEstimator<PgdTransformOptions> Pgd(this TransformsCatalog catalog, string outputColumnName, string onnxModelPath,
        string? inputColumnName = null) =>
        FromPath(catalog, onnxModelPath, Columns<PgdTransformOptions>(outputColumnName, inputColumnName), outputColumnName);

    /// <summary>Attacks each row with Pgd against the ONNX classifier in <paramref name="onnxModelPath"/> as
    /// <paramref name="options"/> say: columns, attack settings, how the model is loaded (<see cref="AttackTransformOptions.Onnx"/>).</summary>
    /// <inheritdoc cref="Adef(TransformsCatalog, string, AdefTransformOptions)" path="/param|/exception"/>
    public static AttackEstimator<PgdTransformOptions> Pgd(this TransformsCatalog catalog, string onnxModelPath, PgdTransformOptions options) =>
        FromPath(catalog, onnxModelPath, options);

    /// <summary>Attacks each row's "Pixels" column with Pgd against <paramref name="classifier"/> and writes the adversarial
    /// pixels over it, adding the columns of <see cref="PgdTransformOptions"/> under their default names.</summary>
    /// <inheritdoc cref="Adef(TransformsCatalog, IDifferentiableClassifier)" path="/param"/>
    public static AttackEstimator<PgdTransformOptions> Pgd(this TransformsCatalog catalog, IDifferentiableClassifier classifier) =>
        FromClassifier(catalog, classifier, new PgdTransformOptions());

    /// <summary>Attacks each row's <paramref name="inputColumnName"/> with Pgd against <paramref name="classifier"/> and writes the
    /// adversarial pixels to <paramref name="outputColumnName"/>.</summary>
    /// <inheritdoc cref="Adef(TransformsCatalog, string, IDifferentiableClassifier, string?)" path="/param"/>
    public static AttackEstimator<PgdTransformOptions> Pgd(this TransformsCatalog catalog, string outputColumnName,
        IDifferentiableClassifier classifier, string? inputColumnName = null) =>
        FromClassifier(catalog, classifier, Columns<PgdTransformOptions>(outputColumnName, inputColumnName));

    /// <summary>Attacks each row with Pgd against <paramref name="classifier"/> as <paramref name="options"/> say.</summary>
    /// <inheritdoc cref="Adef(TransformsCatalog, IDifferentiableClassifier, AdefTransformOptions)" path="/param|/exception"/>
    public static AttackEstimator<PgdTransformOptions> Pgd(this TransformsCatalog catalog, IDifferentiableClassifier classifier,
        PgdTransformOptions options) =>
        FromClassifier(catalog, classifier, options);
}
