using Adef.MLNet.Classifiers;
using Adef.MLNet.Classifiers.Onnx;
using Microsoft.ML;

namespace Adef.MLNet.Transforms;

/// <summary>
/// Estimator of an attack transform; create it with <c>mlContext.Transforms.Adef(...)</c> or <c>.DeepFool(...)</c>. It learns
/// nothing: <see cref="Fit"/> checks the input schema and returns the fitted <see cref="AttackTransformer{TOptions}"/>.
/// </summary>
/// <remarks>
/// Input: an image column of the classifier's H×W (<c>LoadImages</c> → <c>ResizeImages</c>; see
/// <see cref="AttackTransformOptions.ImageScale"/>), or a known-size vector column of C·H·W <see cref="float"/> values in the classifier's input
/// space (after <c>ExtractPixels</c> and any normalisation the classifier expects). Output: the input
/// columns passed through, plus the columns named in the options.
/// </remarks>
/// <typeparam name="TOptions">The transform's options, which name the attack: <see cref="AdefTransformOptions"/> or <see cref="DeepFoolTransformOptions"/>.</typeparam>
public sealed class AttackEstimator<TOptions> : IEstimator<AttackTransformer<TOptions>>
    where TOptions : AttackTransformOptions, new()
{
    private readonly bool _ownsClassifier;

    internal AttackEstimator(IDifferentiableClassifier classifier, string inputColumnName, TOptions? options, bool ownsClassifier,
        OnnxSource? onnxSource = null)
    {
        Classifier = classifier ?? throw new ArgumentNullException(nameof(classifier));
        ArgumentException.ThrowIfNullOrWhiteSpace(inputColumnName);
        InputColumnName = inputColumnName;
        Options = options ?? new TOptions();
        Options.Validate(classifier.ClassCount);
        _ownsClassifier = ownsClassifier;
        OnnxSource = onnxSource;
    }

    /// <summary>
    /// The estimator over the ONNX model in the file <paramref name="path"/>, or given as <paramref name="model"/> bytes, which the
    /// fitted transformers own; the classifier is disposed again if the options are refused.
    /// </summary>
    internal static AttackEstimator<TOptions> FromOnnx(string? path, byte[]? model, OnnxClassifierOptions? onnxOptions,
        string inputColumnName, TOptions? options)
    {
        // The classifier reads the file first, so a missing or malformed one is reported as a model error naming it.
        OnnxClassifier classifier = path is null ? new OnnxClassifier(model!, onnxOptions) : new OnnxClassifier(path, onnxOptions);
        try
        {
            model ??= File.ReadAllBytes(path!);
            return new AttackEstimator<TOptions>(classifier, inputColumnName, options, ownsClassifier: true, new OnnxSource(model, onnxOptions));
        }
        catch
        {
            classifier.Dispose();
            throw;
        }
    }

    /// <summary>The ONNX model the classifier was loaded from, when created from a path (what <see cref="AttackPipeline.Save"/> stores).</summary>
    internal OnnxSource? OnnxSource { get; }

    /// <summary>The classifier attacked.</summary>
    public IDifferentiableClassifier Classifier { get; }

    /// <summary>Name of the input pixel column.</summary>
    public string InputColumnName { get; }

    /// <summary>The attack settings and output column names.</summary>
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

    internal AttackTransformer<TOptions> CreateTransformer() => new(Classifier, InputColumnName, Options, _ownsClassifier, OnnxSource);

    /// <summary>
    /// The input shape plus the added columns. Checks that the input column exists and is a
    /// known-size vector of <see cref="float"/>; a <see cref="SchemaShape"/> carries no vector size,
    /// so the size C·H·W is checked by <see cref="Fit"/>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The input column is missing or has the wrong kind or item type.</exception>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema) => Options.CreateMapping(Classifier, InputColumnName).GetOutputSchema(inputSchema);
}
