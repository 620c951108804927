using Adef.MLNet.Classifiers;
using Adef.MLNet.Classifiers.TorchSharp;
using static TorchSharp.torch;

namespace Adef.MLNet.Tests.TestSupport;

/// <summary>
/// Counts the images a TorchSharp classifier is asked to evaluate through either seam: forward passes, and backward
/// passes (images × targets; one per image for loss gradients). Ranked margin gradients count as one forward pass, as
/// the TorchSharp backend computes them.
/// </summary>
internal sealed class CountingClassifier(TorchSharpClassifier inner) : ITensorClassifier
{
    /// <summary>Images that went through a forward pass.</summary>
    public long ForwardImages { get; private set; }

    /// <summary>Backward passes over one image: images × targets per image (1 per image for loss gradients).</summary>
    public long BackwardImages { get; private set; }

    public ImageShape InputShape => inner.InputShape;

    public int ClassCount => inner.ClassCount;

    public Device Device => inner.Device;

    public void ComputeLogits(ReadOnlySpan<float> images, int count, Span<float> logits)
    {
        Count(count, 0);
        inner.ComputeLogits(images, count, logits);
    }

    public void ComputeLogitsAndMarginGradients(ReadOnlySpan<float> images, int count, ReadOnlySpan<int> targetLabels, int targetsPerImage,
        Span<float> logits, Span<float> gradients)
    {
        Count(count, targetsPerImage);
        inner.ComputeLogitsAndMarginGradients(images, count, targetLabels, targetsPerImage, logits, gradients);
    }

    public void ComputeLogitsAndRankedMarginGradients(ReadOnlySpan<float> images, int count, ReadOnlySpan<int> ranks, Span<float> logits,
        Span<int> targets, Span<float> gradients)
    {
        Count(count, ranks.Length);
        inner.ComputeLogitsAndRankedMarginGradients(images, count, ranks, logits, targets, gradients);
    }

    public void ComputeLogitsAndLossGradients(ReadOnlySpan<float> images, int count, ReadOnlySpan<int> labels, Span<float> logits,
        Span<float> gradients)
    {
        Count(count, 1);
        inner.ComputeLogitsAndLossGradients(images, count, labels, logits, gradients);
    }

    public Tensor Logits(Tensor images)
    {
        Count(images.shape[0], 0);
        return inner.Logits(images);
    }

    public (Tensor Logits, Tensor Gradients) LogitsAndMarginGradients(Tensor images, Tensor targets)
    {
        Count(images.shape[0], (int)targets.shape[1]);
        return inner.LogitsAndMarginGradients(images, targets);
    }

    public (Tensor Logits, Tensor Targets, Tensor Gradients) LogitsAndRankedMarginGradients(Tensor images, ReadOnlySpan<int> ranks)
    {
        Count(images.shape[0], ranks.Length);
        return inner.LogitsAndRankedMarginGradients(images, ranks);
    }

    public (Tensor Logits, Tensor Gradients) LogitsAndLossGradients(Tensor images, Tensor labels)
    {
        Count(images.shape[0], 1);
        return inner.LogitsAndLossGradients(images, labels);
    }

    private void Count(long images, int targets)
    {
        ForwardImages += images;
        BackwardImages += images * targets;
    }
}
