using Adef.MLNet.Classifiers;
using Adef.MLNet.Classifiers.Onnx;
using Microsoft.ML;

namespace Adef.MLNet.Transforms;

/// <summary>
/// Estimator of an attack transform; create it with <c>mlContext.Transforms.Adef(...)</c>, <c>.DeepFool(...)</c> or
/// <c>.Pgd(...)</c>. It learns nothing: <see cref="Fit"/> checks the input schema and returns the fitted
/// <see cref="AttackTransformer{TOptions}"/>.
/// </summary>
/// <remarks>
/// Input: an image column of the classifier's H×W (<c>LoadImages</c> → <c>ResizeImages</c>; see
/// <see cref="AttackTransformOptions.ImageScale"/>), or a known-size vector column of C·H·W <see cref="float"/> values in the classifier's input
/// space (after <c>ExtractPixels</c> and any normalisation the classifier expects). Output: the input
/// columns passed through, plus the columns named in the options; the adversarial pixels replace the input column unless
/// <see cref="AttackTransformOptions.OutputColumnName"/> names another.
/// </remarks>
/// <typeparam name="TOptions">The transform's options, which name the attack: <see cref="AdefTransformOptions"/>,
/// <see cref="DeepFoolTransformOptions"/> or <see cref="PgdTransformOptions"/>.</typeparam>
public sealed class AttackEstimator<TOptions> : IEstimator<AttackTransformer<TOptions>>
    where TOptions : AttackTransformOptions
{
    private readonly bool _ownsClassifier;

    internal AttackEstimator(IDifferentiableClassifier classifier, TOptions options, bool ownsClassifier, byte[]? onnxModel = null)
    {
        Classifier = classifier ?? throw new ArgumentNullException(nameof(classifier));
        Options = options ?? throw new ArgumentNullException(nameof(options));
        Options.Validate(classifier.ClassCount);
        Options.ImagePreprocessingFor(classifier);
        _ownsClassifier = ownsClassifier;
        OnnxModel = onnxModel;
    }

    /// <summary>
    /// The estimator over the ONNX model in the file <paramref name="path"/>, or given as <paramref name="model"/> bytes, loaded
    /// with <see cref="AttackTransformOptions.Onnx"/> on <see cref="AttackTransformOptions.Device"/>; the fitted transformers own
    /// the classifier, which is disposed again if the options are refused.
    /// </summary>
    /// <exception cref="InvalidModelException">The file is missing or is not an ONNX classifier; the message names it.</exception>
    internal static AttackEstimator<TOptions> FromOnnx(string? path, byte[]? model, TOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        OnnxClassifierOptions? onnxOptions = TransformDevice.Apply(options.Onnx, options.Device);
        if (options.InputPreprocessing is { } preprocessing)
        {
            if (onnxOptions?.InputPreprocessing is { } loaded && !loaded.Equals(preprocessing))
                throw new ArgumentException(
                    $"InputPreprocessing ({preprocessing}) and Onnx.InputPreprocessing ({loaded}) differ; set one of them.", nameof(options));
            onnxOptions = onnxOptions?.Clone() ?? new OnnxClassifierOptions();
            onnxOptions.InputPreprocessing = preprocessing;
        }
        // The classifier reads the file first, so a missing or malformed one is reported as a model error naming it.
        OnnxClassifier classifier = path is null ? new OnnxClassifier(model!, onnxOptions) : new OnnxClassifier(path, onnxOptions);
        try
        {
            model ??= File.ReadAllBytes(path!);
            return new AttackEstimator<TOptions>(classifier, options, ownsClassifier: true, model);
        }
        catch
        {
            classifier.Dispose();
            throw;
        }
    }

    /// <summary>The ONNX model the classifier was loaded from, when created from a path (what <see cref="AttackPipeline.Save"/> stores).</summary>
    internal byte[]? OnnxModel { get; }

    /// <summary>The classifier attacked.</summary>
    public IDifferentiableClassifier Classifier { get; }

    /// <summary>The attack settings and the column names (input, adversarial output and the added columns).</summary>
    public TOptions Options { get; }

    /// <summary>Checks <paramref name="input"/>'s schema and returns the transformer.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The input column is missing, not a vector of C·H·W floats, or an image column of another size.</exception>
    public AttackTransformer<TOptions> Fit(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        AttackTransformer<TOptions> transformer = CreateTransformer();
        transformer.Mapping.Validate(input.Schema);
        return transformer;
    }

    internal AttackTransformer<TOptions> CreateTransformer() => new(Classifier, Options, _ownsClassifier, OnnxModel);

    /// <summary>
    /// The input shape plus the added columns. Checks that the input column exists and is a
    /// known-size vector of <see cref="float"/>; a <see cref="SchemaShape"/> carries no vector size,
    /// so the size C·H·W is checked by <see cref="Fit"/>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The input column is missing or has the wrong kind or item type.</exception>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema) => Options.CreateMapping(Classifier).GetOutputSchema(inputSchema);
}
