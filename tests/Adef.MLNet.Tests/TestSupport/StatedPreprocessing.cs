using Adef.MLNet.Classifiers;
using Adef.MLNet.Data;

namespace Adef.MLNet.Tests.TestSupport;

/// <summary>
/// A classifier that states <paramref name="preprocessing"/> as its input preprocessing and passes every call to
/// <paramref name="inner"/> (the default methods too, so that the numbers are the inner classifier's own).
/// </summary>
internal sealed class StatedPreprocessing(IDifferentiableClassifier inner, ImagePreprocessing preprocessing) : IDifferentiableClassifier
{
    public ImageShape InputShape => inner.InputShape;

    public int ClassCount => inner.ClassCount;

    public ImagePreprocessing? InputPreprocessing => preprocessing;

    public void ComputeLogits(ReadOnlySpan<float> images, int count, Span<float> logits) => inner.ComputeLogits(images, count, logits);

    public void ComputeLogitsAndMarginGradients(ReadOnlySpan<float> images, int count, ReadOnlySpan<int> targetLabels, int targetsPerImage,
        Span<float> logits, Span<float> gradients) =>
        inner.ComputeLogitsAndMarginGradients(images, count, targetLabels, targetsPerImage, logits, gradients);

    public void ComputeLogitsAndRankedMarginGradients(ReadOnlySpan<float> images, int count, ReadOnlySpan<int> ranks,
        Span<float> logits, Span<int> targets, Span<float> gradients) =>
        inner.ComputeLogitsAndRankedMarginGradients(images, count, ranks, logits, targets, gradients);

    public void ComputeLogitsAndLossGradients(ReadOnlySpan<float> images, int count, ReadOnlySpan<int> labels, Span<float> logits,
        Span<float> gradients) =>
        inner.ComputeLogitsAndLossGradients(images, count, labels, logits, gradients);
}
