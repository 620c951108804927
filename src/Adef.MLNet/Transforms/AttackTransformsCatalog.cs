using Adef.MLNet.Classifiers;
using Adef.MLNet.Classifiers.Onnx;
using Adef.MLNet.Transforms;

namespace Microsoft.ML;

/// <summary>
/// <c>mlContext.Transforms.Adef(...)</c> and <c>mlContext.Transforms.DeepFool(...)</c>: adversarial
/// attacks as ML.NET transforms (in namespace <c>Microsoft.ML</c>, as ML.NET's own catalog extensions).
/// </summary>
/// <example>
/// <code>
/// var pipeline = mlContext.Transforms.Adef(classifier, "Pixels",
///     new AdefTransformOptions { Attack = AdefOptions.Mnist, BatchSize = 128 });
/// IDataView attacked = pipeline.Fit(data).Transform(data);
/// </code>
/// </example>
public static class AttackTransformsCatalog
{
    /// <summary>Attacks each row's image with ADef against <paramref name="classifier"/>.</summary>
    /// <param name="catalog">The transforms catalog.</param>
    /// <param name="classifier">The classifier; the caller keeps ownership.</param>
    /// <param name="inputColumnName">Known-size vector of C·H·W <see cref="float"/> in the classifier's input space, or an image column of H×W pixels (scaled by <see cref="AttackTransformOptions.ImageScale"/>). Default "Pixels".</param>
    /// <param name="options">Attack settings and output column names; null for the defaults.</param>
    /// <exception cref="ArgumentException"><see cref="AttackTransformOptions.Device"/> is set and the classifier runs elsewhere.</exception>
    public static AttackEstimator<AdefTransformOptions> Adef(this TransformsCatalog catalog, IDifferentiableClassifier classifier,
        string inputColumnName = "Pixels", AdefTransformOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        TransformDevice.Check(classifier, options?.Device);
        return new AttackEstimator<AdefTransformOptions>(classifier, inputColumnName, options, ownsClassifier: false);
    }

    /// <summary>Attacks each row's image with ADef against the ONNX classifier in <paramref name="onnxModelPath"/>.</summary>
    /// <param name="catalog">The transforms catalog.</param>
    /// <param name="onnxModelPath">ONNX model returning logits (see <see cref="OnnxClassifier"/>); the fitted transformer owns and disposes the session.</param>
    /// <param name="onnxOptions">How to load the model; null for the defaults.</param>
    /// <param name="inputColumnName">Known-size vector of C·H·W <see cref="float"/> in the model's input space, or an image column of H×W pixels (scaled by <see cref="AttackTransformOptions.ImageScale"/>). Default "Pixels".</param>
    /// <param name="options">Attack settings and output column names; null for the defaults.</param>
    public static AttackEstimator<AdefTransformOptions> Adef(this TransformsCatalog catalog, string onnxModelPath, OnnxClassifierOptions? onnxOptions,
        string inputColumnName = "Pixels", AdefTransformOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        onnxOptions = TransformDevice.Apply(onnxOptions, options?.Device);
        return AttackEstimator<AdefTransformOptions>.FromOnnx(onnxModelPath, null, onnxOptions, inputColumnName, options);
    }

    /// <summary>Attacks each row's image with DeepFool against <paramref name="classifier"/>.</summary>
    /// <param name="catalog">The transforms catalog.</param>
    /// <param name="classifier">The classifier; the caller keeps ownership.</param>
    /// <param name="inputColumnName">Known-size vector of C·H·W <see cref="float"/> in the classifier's input space, or an image column of H×W pixels (scaled by <see cref="AttackTransformOptions.ImageScale"/>). Default "Pixels".</param>
    /// <param name="options">Attack settings and output column names; null for the defaults.</param>
    /// <exception cref="ArgumentException"><see cref="AttackTransformOptions.Device"/> is set and the classifier runs elsewhere.</exception>
    public static AttackEstimator<DeepFoolTransformOptions> DeepFool(this TransformsCatalog catalog, IDifferentiableClassifier classifier,
        string inputColumnName = "Pixels", DeepFoolTransformOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        TransformDevice.Check(classifier, options?.Device);
        return new AttackEstimator<DeepFoolTransformOptions>(classifier, inputColumnName, options, ownsClassifier: false);
    }

    /// <summary>Attacks each row's image with DeepFool against the ONNX classifier in <paramref name="onnxModelPath"/>.</summary>
    /// <param name="catalog">The transforms catalog.</param>
    /// <param name="onnxModelPath">ONNX model returning logits (see <see cref="OnnxClassifier"/>); the fitted transformer owns and disposes the session.</param>
    /// <param name="onnxOptions">How to load the model; null for the defaults.</param>
    /// <param name="inputColumnName">Known-size vector of C·H·W <see cref="float"/> in the model's input space, or an image column of H×W pixels (scaled by <see cref="AttackTransformOptions.ImageScale"/>). Default "Pixels".</param>
    /// <param name="options">Attack settings and output column names; null for the defaults.</param>
    public static AttackEstimator<DeepFoolTransformOptions> DeepFool(this TransformsCatalog catalog, string onnxModelPath, OnnxClassifierOptions? onnxOptions,
        string inputColumnName = "Pixels", DeepFoolTransformOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        onnxOptions = TransformDevice.Apply(onnxOptions, options?.Device);
        return AttackEstimator<DeepFoolTransformOptions>.FromOnnx(onnxModelPath, null, onnxOptions, inputColumnName, options);
    }
}
