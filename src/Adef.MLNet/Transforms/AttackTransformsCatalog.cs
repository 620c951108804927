using Adef.MLNet;
using Adef.MLNet.Classifiers;
using Adef.MLNet.Transforms;

namespace Microsoft.ML;

/// <summary>
/// <c>mlContext.Transforms.Adef(...)</c>, <c>.DeepFool(...)</c> and <c>.Pgd(...)</c>: adversarial attacks as ML.NET transforms,
/// in namespace <c>Microsoft.ML</c> as ML.NET's own catalog extensions (<c>ApplyOnnxModel</c>), so <c>using Microsoft.ML;</c>
/// finds them. Each attack has the same six overloads, shaped like <c>ApplyOnnxModel</c> and <c>ExtractPixels</c>:
/// <list type="bullet">
/// <item><c>(onnxModelPath)</c>: attack the "Pixels" column and write the adversarial pixels over it;</item>
/// <item><c>(outputColumnName, onnxModelPath, inputColumnName = null)</c>: the adversarial pixels go to
/// <c>outputColumnName</c>; the input is that same column unless <c>inputColumnName</c> names another;</item>
/// <item><c>(onnxModelPath, options)</c>: everything else (attack settings, ONNX loading, label column, output names);</item>
/// <item>the same three with an <see cref="IDifferentiableClassifier"/> (e.g. a TorchSharp model) in place of the path.</item>
/// </list>
/// The path overloads load the model when they are called: a missing file or one that is not an ONNX classifier throws
/// <see cref="InvalidModelException"/> naming the path there, not at <c>Fit</c>.
/// </summary>
/// <example>
/// <code>
/// var augment = mlContext.Transforms.Adef("model.onnx");                       // "Pixels" → adversarial "Pixels"
/// var keep = mlContext.Transforms.DeepFool("Adversarial", "model.onnx", "Pixels"); // "Pixels" kept, "Adversarial" added
/// var tuned = mlContext.Transforms.Pgd("model.onnx",
///     new PgdTransformOptions { Attack = new PgdOptions { Epsilon = 0.1, BatchSize = 128 }, LabelColumnName = "Label" });
/// </code>
/// </example>
public static partial class AttackTransformsCatalog
{
    /// <summary>The default input and output column: the name <c>ExtractPixels</c> examples give their pixel vector.</summary>
    private const string DefaultColumn = "Pixels";

    /// <summary>The estimator over the ONNX model at <paramref name="onnxModelPath"/>, loaded now so that a bad path fails here.</summary>
    private static AttackEstimator<TOptions> FromPath<TOptions>(TransformsCatalog catalog, string onnxModelPath, TOptions options,
        string? outputColumnName = null)
        where TOptions : AttackTransformOptions
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentException.ThrowIfNullOrWhiteSpace(onnxModelPath);
        ArgumentNullException.ThrowIfNull(options);
        try
        {
            return AttackEstimator<TOptions>.FromOnnx(onnxModelPath, null, options);
        }
        catch (InvalidModelException e) when (!File.Exists(onnxModelPath) && outputColumnName is not null
            && outputColumnName.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase))
        {
            // (model, column) is the easy slip with ML.NET's (outputColumnName, model, inputColumnName) order: say so.
            throw new InvalidModelException(
                $"{e.Message} The arguments are (outputColumnName, onnxModelPath, inputColumnName): '{outputColumnName}', given as the " +
                "output column, looks like the model.", onnxModelPath, e);
        }
    }

    /// <summary>The estimator over a classifier the caller owns; <see cref="AttackTransformOptions.Onnx"/> has nothing to load.</summary>
    private static AttackEstimator<TOptions> FromClassifier<TOptions>(TransformsCatalog catalog, IDifferentiableClassifier classifier, TOptions options)
        where TOptions : AttackTransformOptions
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(classifier);
        ArgumentNullException.ThrowIfNull(options);
        if (options.Onnx is not null)
            throw new ArgumentException(
                "AttackTransformOptions.Onnx says how to load an ONNX model file, but this overload was given a classifier that is " +
                "loaded already. Pass the model's path instead, or leave Onnx unset.", nameof(options));
        TransformDevice.Check(classifier, options.Device);
        return new AttackEstimator<TOptions>(classifier, options, ownsClassifier: false);
    }

    /// <summary>Options that attack <paramref name="inputColumnName"/> (by default <paramref name="outputColumnName"/>) and write the
    /// adversarial pixels to <paramref name="outputColumnName"/>.</summary>
    private static TOptions Columns<TOptions>(string outputColumnName, string? inputColumnName)
        where TOptions : AttackTransformOptions, new()
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(outputColumnName);
        return new TOptions { OutputColumnName = outputColumnName, InputColumnName = inputColumnName ?? outputColumnName };
    }
}
