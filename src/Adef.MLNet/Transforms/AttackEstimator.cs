using Adef.MLNet.Classifiers;
using Microsoft.ML;

namespace Adef.MLNet.Transforms;

/// <summary>
/// Base of the attack estimators (<see cref="AdefEstimator"/>, <see cref="DeepFoolEstimator"/>). It learns
/// nothing: <see cref="Fit"/> checks the input schema and returns the fitted transform.
/// </summary>
/// <remarks>
/// Input: an image column of the classifier's H×W (<c>LoadImages</c> → <c>ResizeImages</c>; see
/// <see cref="AttackTransformOptions.ImageScale"/>), or a known-size vector column of C·H·W <see cref="float"/> values in the classifier's input
/// space (after <c>ExtractPixels</c> and any normalisation the classifier expects). Output: the input
/// columns passed through, plus the columns named in the options.
/// </remarks>
/// <typeparam name="TOptions">The transform's options: the attack settings and output column names.</typeparam>
/// <typeparam name="TTransformer">The fitted transform <see cref="Fit"/> returns.</typeparam>
public abstract class AttackEstimator<TOptions, TTransformer> : IEstimator<TTransformer>
    where TOptions : AttackTransformOptions, new()
    where TTransformer : AttackTransformer<TOptions>
{
    private protected AttackEstimator(IDifferentiableClassifier classifier, string inputColumnName, TOptions? options, bool ownsClassifier,
        OnnxSource? onnxSource, Action<TOptions, int> validate)
    {
        OnnxSource = onnxSource;
        Classifier = classifier ?? throw new ArgumentNullException(nameof(classifier));
        ArgumentException.ThrowIfNullOrWhiteSpace(inputColumnName);
        InputColumnName = inputColumnName;
        Options = options ?? new TOptions();
        validate(Options, classifier.ClassCount);
        OwnsClassifier = ownsClassifier;
    }

    /// <summary>The ONNX model the classifier was loaded from, when created from a path (what <see cref="AttackPipeline.Save"/> stores).</summary>
    internal OnnxSource? OnnxSource { get; }

    /// <summary>Whether the transformers created dispose the classifier (ONNX path overloads).</summary>
    private protected bool OwnsClassifier { get; }

    /// <summary>The classifier attacked.</summary>
    public IDifferentiableClassifier Classifier { get; }

    /// <summary>Name of the input pixel column.</summary>
    public string InputColumnName { get; }

    /// <summary>The attack settings and output column names.</summary>
    public TOptions Options { get; }

    /// <summary>Checks <paramref name="input"/>'s schema and returns the transformer.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The input column is missing, not a vector of C·H·W floats, or an image column of another size.</exception>
    public TTransformer Fit(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var transformer = CreateTransformer();
        transformer.Mapping.Validate(input.Schema);
        return transformer;
    }

    internal abstract TTransformer CreateTransformer();

    private protected abstract AttackMapping CreateMapping();

    /// <summary>
    /// The input shape plus the added columns. Checks that the input column exists and is a
    /// known-size vector of <see cref="float"/>; a <see cref="SchemaShape"/> carries no vector size,
    /// so the size C·H·W is checked by <see cref="Fit"/>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The input column is missing or has the wrong kind or item type.</exception>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema) => CreateMapping().GetOutputSchema(inputSchema);
}
