using Adef.MLNet.Classifiers;

namespace Adef.MLNet.Transforms;

/// <summary>
/// Estimator of the Adef transform; create it with <c>mlContext.Transforms.Adef(...)</c>. It learns
/// nothing: <see cref="AttackEstimator{TOptions, TTransformer}.Fit"/> checks the input schema and returns a <see cref="AdefTransformer"/>.
/// </summary>
/// <remarks>
/// Input: an image column of the classifier's H×W (<c>LoadImages</c> → <c>ResizeImages</c>; see
/// <see cref="AttackTransformOptions.ImageScale"/>), or a known-size vector column of C·H·W <see cref="float"/> values in the classifier's input
/// space (after <c>ExtractPixels</c> and any normalisation the classifier expects). Output: the input
/// columns passed through, plus the columns named in <see cref="AdefTransformOptions"/>.
/// </remarks>
public sealed class AdefEstimator : AttackEstimator<AdefTransformOptions, AdefTransformer>
{
    internal AdefEstimator(IDifferentiableClassifier classifier, string inputColumnName, AdefTransformOptions? options, bool ownsClassifier,
        OnnxSource? onnxSource = null)
        : base(classifier, inputColumnName, options, ownsClassifier, onnxSource, static (o, classCount) => o.Validate(classCount))
    {
    }

    internal override AdefTransformer CreateTransformer() => new(Classifier, InputColumnName, Options, OwnsClassifier, OnnxSource);

    private protected override AttackMapping CreateMapping() => AdefTransformer.CreateMapping(Classifier, InputColumnName, Options);
}
