using System.Diagnostics;
using Adef.MLNet.Classifiers;
using Adef.MLNet.Classifiers.TorchSharp;
using TorchSharp;
using static TorchSharp.torch;

namespace Adef.Experiments;

/// <summary>
/// Passes every call through to a tensor classifier and adds up the wall time spent in it, waiting for the device
/// before and after each call (so, on CUDA, the time is the model's and not the attack's queued operations). Used by
/// gpu-check's <c>--profile</c> to split an attack's time between the model and the attack's own operations.
/// </summary>
public sealed class TimedClassifier(ITensorClassifier inner) : ITensorClassifier
{
    private readonly Stopwatch _inModel = new();

    /// <summary>Wall time spent in the classifier's calls so far.</summary>
    public TimeSpan InModel => _inModel.Elapsed;

    /// <summary>Number of calls so far.</summary>
    public int Calls { get; private set; }

    /// <summary>Images sent through a forward pass so far.</summary>
    public long ForwardImages { get; private set; }

    /// <summary>Backward passes over one image so far: images × targets (one per image for loss gradients).</summary>
    public long BackwardImages { get; private set; }

    public ImageShape InputShape => inner.InputShape;

    public int ClassCount => inner.ClassCount;

    public ComputeDevice Device => inner.Device;

    public Device TorchDevice => inner.TorchDevice;

    public bool AllowTf32 => inner.AllowTf32;

    public void ComputeLogits(ReadOnlySpan<float> images, int count, Span<float> logits)
    {
        Start(count, 0);
        inner.ComputeLogits(images, count, logits);
        Stop();
    }

    public void ComputeLogitsAndMarginGradients(ReadOnlySpan<float> images, int count, ReadOnlySpan<int> targetLabels, int targetsPerImage,
        Span<float> logits, Span<float> gradients)
    {
        Start(count, targetsPerImage);
        inner.ComputeLogitsAndMarginGradients(images, count, targetLabels, targetsPerImage, logits, gradients);
        Stop();
    }

    public void ComputeLogitsAndRankedMarginGradients(ReadOnlySpan<float> images, int count, ReadOnlySpan<int> ranks, Span<float> logits,
        Span<int> targets, Span<float> gradients)
    {
        Start(count, ranks.Length);
        inner.ComputeLogitsAndRankedMarginGradients(images, count, ranks, logits, targets, gradients);
        Stop();
    }

    public void ComputeLogitsAndLossGradients(ReadOnlySpan<float> images, int count, ReadOnlySpan<int> labels, Span<float> logits, Span<float> gradients)
    {
        Start(count, 1);
        inner.ComputeLogitsAndLossGradients(images, count, labels, logits, gradients);
        Stop();
    }

    public Tensor Logits(Tensor images) => Timed(images, 0, () => inner.Logits(images));

    public (Tensor Logits, Tensor Gradients) LogitsAndMarginGradients(Tensor images, Tensor targets) =>
        Timed(images, targets.shape[1], () => inner.LogitsAndMarginGradients(images, targets));

    public (Tensor Logits, Tensor Targets, Tensor Gradients) LogitsAndRankedMarginGradients(Tensor images, ReadOnlySpan<int> ranks)
    {
        int[] copy = ranks.ToArray(); // a span cannot enter the lambda
        return Timed(images, copy.Length, () => inner.LogitsAndRankedMarginGradients(images, copy));
    }

    public (Tensor Logits, Tensor Gradients) LogitsAndLossGradients(Tensor images, Tensor labels) =>
        Timed(images, 1, () => inner.LogitsAndLossGradients(images, labels));

    private T Timed<T>(Tensor images, long targetsPerImage, Func<T> call)
    {
        Start(images.shape[0], targetsPerImage);
        T result = call();
        Stop();
        return result;
    }

    private void Start(long images, long targetsPerImage)
    {
        Synchronize();
        Calls++;
        ForwardImages += images;
        BackwardImages += images * targetsPerImage;
        _inModel.Start();
    }

    private void Stop()
    {
        Synchronize();
        _inModel.Stop();
    }

    private void Synchronize()
    {
        if (inner.TorchDevice.type == DeviceType.CUDA) cuda.synchronize(inner.TorchDevice);
    }
}
