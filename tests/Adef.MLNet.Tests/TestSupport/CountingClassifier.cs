using Adef.MLNet.Classifiers;

namespace Adef.MLNet.Tests.TestSupport;

/// <summary>
/// Counts the images another classifier is asked to evaluate: forward passes, and backward passes (images × targets).
/// Ranked margin gradients count as one forward pass, as the TorchSharp backend computes them.
/// </summary>
internal sealed class CountingClassifier(IDifferentiableClassifier inner) : IDifferentiableClassifier
{
    /// <summary>Images that went through a forward pass.</summary>
    public long ForwardImages { get; private set; }

    /// <summary>Backward passes over one image: images × targets per image (1 per image for loss gradients).</summary>
    public long BackwardImages { get; private set; }

    public ImageShape InputShape => inner.InputShape;

    public int ClassCount => inner.ClassCount;

    public void ComputeLogits(ReadOnlySpan<float> images, int count, Span<float> logits)
    {
        ForwardImages += count;
        inner.ComputeLogits(images, count, logits);
    }

    public void ComputeLogitsAndMarginGradients(ReadOnlySpan<float> images, int count, ReadOnlySpan<int> targetLabels, int targetsPerImage,
        Span<float> logits, Span<float> gradients)
    {
        ForwardImages += count;
        BackwardImages += (long)count * targetsPerImage;
        inner.ComputeLogitsAndMarginGradients(images, count, targetLabels, targetsPerImage, logits, gradients);
    }

    public void ComputeLogitsAndRankedMarginGradients(ReadOnlySpan<float> images, int count, ReadOnlySpan<int> ranks, Span<float> logits,
        Span<int> targets, Span<float> gradients)
    {
        ForwardImages += count;
        BackwardImages += (long)count * ranks.Length;
        inner.ComputeLogitsAndRankedMarginGradients(images, count, ranks, logits, targets, gradients);
    }

    public void ComputeLogitsAndLossGradients(ReadOnlySpan<float> images, int count, ReadOnlySpan<int> labels, Span<float> logits,
        Span<float> gradients)
    {
        ForwardImages += count;
        BackwardImages += count;
        inner.ComputeLogitsAndLossGradients(images, count, labels, logits, gradients);
    }
}
