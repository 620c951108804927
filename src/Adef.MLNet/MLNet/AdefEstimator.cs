using Adef.MLNet.Attacks;
using Adef.MLNet.Classifiers;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace Adef.MLNet.MLNet;

/// <summary>
/// Estimator of the Adef transform; create it with <c>mlContext.Transforms.Adef(...)</c>. It learns
/// nothing: <see cref="Fit"/> checks the input schema and returns a <see cref="AdefTransformer"/>.
/// </summary>
/// <remarks>
/// Input: a known-size vector column of C·H·W <see cref="float"/> values in the classifier's input
/// space (after <c>ExtractPixels</c> and any normalisation the classifier expects). Output: the input
/// columns passed through, plus the columns named in <see cref="AdefTransformOptions"/>.
/// </remarks>
public sealed class AdefEstimator : IEstimator<AdefTransformer>
{
    private readonly bool _ownsClassifier;

    internal AdefEstimator(IDifferentiableClassifier classifier, string inputColumnName, AdefTransformOptions? options, bool ownsClassifier,
        OnnxSource? onnxSource = null)
    {
        OnnxSource = onnxSource;
        Classifier = classifier ?? throw new ArgumentNullException(nameof(classifier));
        ArgumentException.ThrowIfNullOrWhiteSpace(inputColumnName);
        InputColumnName = inputColumnName;
        Options = options ?? new AdefTransformOptions();
        Options.Validate(classifier.ClassCount);
        _ownsClassifier = ownsClassifier;
    }

    /// <summary>The ONNX model the classifier was loaded from, when created from a path (what <see cref="AdefModel.Save"/> stores).</summary>
    internal OnnxSource? OnnxSource { get; }

    /// <summary>The classifier attacked.</summary>
    public IDifferentiableClassifier Classifier { get; }

    /// <summary>Name of the input pixel column.</summary>
    public string InputColumnName { get; }

    /// <summary>The attack settings and output column names.</summary>
    public AdefTransformOptions Options { get; }

    /// <summary>Checks <paramref name="input"/>'s schema and returns the transformer.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The input column is missing or not a vector of C·H·W floats.</exception>
    public AdefTransformer Fit(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var transformer = CreateTransformer();
        transformer.Mapping.Validate(input.Schema);
        return transformer;
    }

    internal AdefTransformer CreateTransformer() => new(Classifier, InputColumnName, Options, _ownsClassifier, OnnxSource);

    /// <summary>
    /// The input shape plus the added columns. Checks that the input column exists and is a
    /// known-size vector of <see cref="float"/>; a <see cref="SchemaShape"/> carries no vector size,
    /// so the size C·H·W is checked by <see cref="Fit"/>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The input column is missing or has the wrong kind or item type.</exception>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema) =>
        AdefTransformer.CreateMapping(Classifier, InputColumnName, Options).GetOutputSchema(inputSchema);
}
