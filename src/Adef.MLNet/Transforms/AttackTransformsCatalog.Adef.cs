using Adef.MLNet.Classifiers;
using Adef.MLNet.Classifiers.Onnx;
using Adef.MLNet.Transforms;

namespace Microsoft.ML;

public static partial class AttackTransformsCatalog
{
    /// <summary>Attacks each row's "Pixels" column with ADef against the ONNX classifier in <paramref name="onnxModelPath"/> and
    /// writes the adversarial pixels over it, adding the columns of <see cref="AdefTransformOptions"/> under their default names.</summary>
    /// <param name="catalog">The transforms catalog.</param>
    /// <param name="onnxModelPath">ONNX model returning logits (see <see cref="OnnxClassifier"/>), loaded now with the default
    /// <see cref="OnnxClassifierOptions"/>; the fitted transformer owns and disposes the session.</param>
    /// <exception cref="Adef.MLNet.InvalidModelException">The file is missing or is not an ONNX classifier; the message names it.</exception>
    public static AttackEstimator<AdefTransformOptions> Adef(this TransformsCatalog catalog, string onnxModelPath) =>
        FromPath(catalog, onnxModelPath, new AdefTransformOptions());

    /// <summary>Attacks each row's <paramref name="inputColumnName"/> with ADef against the ONNX classifier in
    /// <paramref name="onnxModelPath"/> and writes the adversarial pixels to <paramref name="outputColumnName"/>.</summary>
    /// <param name="catalog">The transforms catalog.</param>
    /// <param name="outputColumnName">The adversarial pixels' column: C·H·W <see cref="float"/> in the classifier's input space.</param>
    /// <param name="onnxModelPath">ONNX model returning logits (see <see cref="OnnxClassifier"/>), loaded now with the default
    /// <see cref="OnnxClassifierOptions"/>; the fitted transformer owns and disposes the session.</param>
    /// <param name="inputColumnName">The column attacked: a known-size vector of C·H·W <see cref="float"/> in the classifier's input
    /// space, or an image column of H×W pixels. Default <see langword="null"/>: <paramref name="outputColumnName"/>, which the
    /// adversarial pixels then replace.</param>
    /// <exception cref="Adef.MLNet.InvalidModelException">The file is missing or is not an ONNX classifier; the message names it.</exception>
    public static AttackEstimator<AdefTransformOptions> Adef(this TransformsCatalog catalog, string outputColumnName, string onnxModelPath,
        string? inputColumnName = null) =>
        FromPath(catalog, onnxModelPath, Columns<AdefTransformOptions>(outputColumnName, inputColumnName), outputColumnName);

    /// <summary>Attacks each row with ADef against the ONNX classifier in <paramref name="onnxModelPath"/> as
    /// <paramref name="options"/> say: columns, attack settings, how the model is loaded (<see cref="AttackTransformOptions.Onnx"/>).</summary>
    /// <param name="catalog">The transforms catalog.</param>
    /// <param name="onnxModelPath">ONNX model returning logits (see <see cref="OnnxClassifier"/>), loaded now; the fitted transformer
    /// owns and disposes the session.</param>
    /// <param name="options">The transform's settings.</param>
    /// <exception cref="Adef.MLNet.InvalidModelException">The file is missing or is not an ONNX classifier; the message names it.</exception>
    /// <exception cref="ArgumentException">An option is out of range (the message names it).</exception>
    public static AttackEstimator<AdefTransformOptions> Adef(this TransformsCatalog catalog, string onnxModelPath, AdefTransformOptions options) =>
        FromPath(catalog, onnxModelPath, options);

    /// <summary>Attacks each row's "Pixels" column with ADef against <paramref name="classifier"/> and writes the adversarial
    /// pixels over it, adding the columns of <see cref="AdefTransformOptions"/> under their default names.</summary>
    /// <param name="catalog">The transforms catalog.</param>
    /// <param name="classifier">The classifier (ONNX or TorchSharp); the caller keeps ownership.</param>
    public static AttackEstimator<AdefTransformOptions> Adef(this TransformsCatalog catalog, IDifferentiableClassifier classifier) =>
        FromClassifier(catalog, classifier, new AdefTransformOptions());

    /// <summary>Attacks each row's <paramref name="inputColumnName"/> with ADef against <paramref name="classifier"/> and writes the
    /// adversarial pixels to <paramref name="outputColumnName"/>.</summary>
    /// <param name="catalog">The transforms catalog.</param>
    /// <param name="outputColumnName">The adversarial pixels' column: C·H·W <see cref="float"/> in the classifier's input space.</param>
    /// <param name="classifier">The classifier (ONNX or TorchSharp); the caller keeps ownership.</param>
    /// <param name="inputColumnName">The column attacked: a known-size vector of C·H·W <see cref="float"/> in the classifier's input
    /// space, or an image column of H×W pixels. Default <see langword="null"/>: <paramref name="outputColumnName"/>, which the
    /// adversarial pixels then replace.</param>
    public static AttackEstimator<AdefTransformOptions> Adef(this TransformsCatalog catalog, string outputColumnName,
        IDifferentiableClassifier classifier, string? inputColumnName = null) =>
        FromClassifier(catalog, classifier, Columns<AdefTransformOptions>(outputColumnName, inputColumnName));

    /// <summary>Attacks each row with ADef against <paramref name="classifier"/> as <paramref name="options"/> say.</summary>
    /// <param name="catalog">The transforms catalog.</param>
    /// <param name="classifier">The classifier (ONNX or TorchSharp); the caller keeps ownership.</param>
    /// <param name="options">The transform's settings; <see cref="AttackTransformOptions.Onnx"/> must be unset.</param>
    /// <exception cref="ArgumentException">An option is out of range, <see cref="AttackTransformOptions.Onnx"/> is set, or
    /// <see cref="AttackTransformOptions.Device"/> is set and the classifier runs elsewhere.</exception>
    public static AttackEstimator<AdefTransformOptions> Adef(this TransformsCatalog catalog, IDifferentiableClassifier classifier,
        AdefTransformOptions options) =>
        FromClassifier(catalog, classifier, options);
}
