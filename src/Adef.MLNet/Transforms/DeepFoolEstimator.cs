using Adef.MLNet.Classifiers;

namespace Adef.MLNet.Transforms;

/// <summary>
/// Estimator of the DeepFool transform; create it with <c>mlContext.Transforms.DeepFool(...)</c>. It learns
/// nothing: <see cref="AttackEstimator{TOptions, TTransformer}.Fit"/> checks the input schema and returns a <see cref="DeepFoolTransformer"/>.
/// </summary>
/// <remarks>
/// Input: an image column of the classifier's H×W (<c>LoadImages</c> → <c>ResizeImages</c>; see
/// <see cref="AttackTransformOptions.ImageScale"/>), or a known-size vector column of C·H·W <see cref="float"/> values in the classifier's input
/// space (after <c>ExtractPixels</c> and any normalisation the classifier expects). Output: the input
/// columns passed through, plus the columns named in <see cref="DeepFoolTransformOptions"/>.
/// </remarks>
public sealed class DeepFoolEstimator : AttackEstimator<DeepFoolTransformOptions, DeepFoolTransformer>
{
    internal DeepFoolEstimator(IDifferentiableClassifier classifier, string inputColumnName, DeepFoolTransformOptions? options, bool ownsClassifier,
        OnnxSource? onnxSource = null)
        : base(classifier, inputColumnName, options, ownsClassifier, onnxSource, static (o, classCount) => o.Validate(classCount))
    {
    }

    internal override DeepFoolTransformer CreateTransformer() => new(Classifier, InputColumnName, Options, OwnsClassifier, OnnxSource);

    private protected override AttackMapping CreateMapping() => DeepFoolTransformer.CreateMapping(Classifier, InputColumnName, Options);
}
