using System.Runtime.InteropServices;
using Adef.MLNet.Attacks;
using TorchSharp;
using static TorchSharp.torch;

namespace Adef.MLNet.Classifiers.TorchSharp;

/// <summary>The span seam of <see cref="TorchSharpClassifier"/>: host buffers copied to tensors, through the tensor seam, and back.</summary>
public sealed partial class TorchSharpClassifier
{
    /// <inheritdoc />
    public void ComputeLogits(ReadOnlySpan<float> images, int count, Span<float> logits)
    {
        ClassifierArguments.CheckLogits(this, images, count, logits);
        if (count == 0) return;
        using var scope = NewDisposeScope();
        CopyToSpan(Logits(ToTensor(images, count)), logits);
    }

    /// <inheritdoc />
    public void ComputeLogitsAndMarginGradients(
        ReadOnlySpan<float> images, int count, ReadOnlySpan<int> targetLabels, int targetsPerImage,
        Span<float> logits, Span<float> gradients)
    {
        ClassifierArguments.CheckMarginGradients(this, images, count, targetLabels, targetsPerImage, logits, gradients);
        if (count == 0) return;
        using var scope = NewDisposeScope();
        var targets = new long[targetLabels.Length];
        for (int i = 0; i < targets.Length; i++) targets[i] = targetLabels[i];
        Tensor targetTensor = tensor(targets, int64, TorchDevice).view(count, targetsPerImage);
        var (output, margins) = LogitsAndMarginGradients(ToTensor(images, count), targetTensor);
        CopyToSpan(output, logits);
        CopyToSpan(margins, gradients);
    }

    /// <inheritdoc />
    /// <remarks>One forward pass: the targets are chosen from its logits before the backward passes.</remarks>
    public void ComputeLogitsAndRankedMarginGradients(ReadOnlySpan<float> images, int count, ReadOnlySpan<int> ranks,
        Span<float> logits, Span<int> targets, Span<float> gradients)
    {
        RankedTargets.Check(this, images, count, ranks, logits, targets, gradients);
        if (count == 0) return;
        using var scope = NewDisposeScope();
        var (output, chosen, margins) = LogitsAndRankedMarginGradients(ToTensor(images, count), ranks);
        CopyToSpan(output, logits);
        CopyToSpan(margins, gradients);
        long[] labels = chosen.cpu().data<long>().ToArray();
        for (int i = 0; i < labels.Length; i++) targets[i] = (int)labels[i];
    }

    /// <summary>
    /// Computes the logits and each image's cross-entropy gradient <c>∇ₓ CE(F(xᵢ), yᵢ)</c> with one forward and one
    /// backward pass (autograd of the summed per-image losses with respect to the input only: parameter gradients are
    /// neither computed nor accumulated, so an optimiser sharing the module sees no stale gradients).
    /// </summary>
    /// <inheritdoc cref="IDifferentiableClassifier.ComputeLogitsAndLossGradients" path="/param"/>
    public void ComputeLogitsAndLossGradients(
        ReadOnlySpan<float> images, int count, ReadOnlySpan<int> labels, Span<float> logits, Span<float> gradients)
    {
        ClassifierArguments.CheckLossGradients(this, images, count, labels, logits, gradients);
        if (count == 0) return;
        var targets = new long[count];
        for (int i = 0; i < count; i++) targets[i] = labels[i];
        using var scope = NewDisposeScope();
        var (output, lossGradients) = LogitsAndLossGradients(ToTensor(images, count), tensor(targets, int64, TorchDevice));
        CopyToSpan(output, logits);
        CopyToSpan(lossGradients, gradients);
    }

    private Tensor ToTensor(ReadOnlySpan<float> images, int count)
    {
        // A fresh shape per call: the span methods convert outside the lock, so nothing here may be shared.
        Tensor x = empty(new long[] { count, InputShape.Channels, InputShape.Height, InputShape.Width }, float32);
        x.data<float>().CopyFrom(images, 0, 0);
        return TorchDevice.type == DeviceType.CPU ? x : x.to(TorchDevice);
    }

    private static void CopyToSpan(Tensor tensor, Span<float> destination)
    {
        Tensor host = tensor.detach().contiguous();
        if (host.device_type != DeviceType.CPU) host = host.cpu();
        host.data<float>().CopyTo(destination, 0, 0);
    }
}
