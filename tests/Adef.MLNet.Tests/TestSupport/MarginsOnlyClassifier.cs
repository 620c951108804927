using Adef.MLNet.Classifiers;

namespace Adef.MLNet.Tests.TestSupport;

/// <summary>
/// Exposes only the two original members of <see cref="IDifferentiableClassifier"/> of another classifier: no tensor
/// interface and the default loss gradient, as a classifier written before those existed.
/// </summary>
internal sealed class MarginsOnlyClassifier(IDifferentiableClassifier inner) : IDifferentiableClassifier
{
    public ImageShape InputShape => inner.InputShape;

    public int ClassCount => inner.ClassCount;

    public void ComputeLogits(ReadOnlySpan<float> images, int count, Span<float> logits) => inner.ComputeLogits(images, count, logits);

    public void ComputeLogitsAndMarginGradients(ReadOnlySpan<float> images, int count, ReadOnlySpan<int> targetLabels, int targetsPerImage,
        Span<float> logits, Span<float> gradients) =>
        inner.ComputeLogitsAndMarginGradients(images, count, targetLabels, targetsPerImage, logits, gradients);
}
