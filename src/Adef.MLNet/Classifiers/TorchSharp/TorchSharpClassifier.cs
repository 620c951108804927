using System.Runtime.InteropServices;
using Adef.MLNet.Attacks;
using TorchSharp;
using static TorchSharp.torch;

namespace Adef.MLNet.Classifiers.TorchSharp;

/// <summary>
/// An <see cref="IDifferentiableClassifier"/> over a TorchSharp module that maps an N×C×H×W float
/// tensor to N×L logits. Gradients come from autograd: one forward pass per call and one backward
/// pass per target label, reusing the forward graph.
/// </summary>
/// <remarks>
/// The module is put in evaluation mode. Calls are serialised with a lock, so one instance may be
/// shared between threads. The classifier does not own the module unless <c>ownsModule</c> is set.
/// </remarks>
public sealed class TorchSharpClassifier : IDifferentiableClassifier, IDisposable
{
    private readonly nn.Module _module;
    private readonly Func<Tensor, Tensor> _forward;
    private readonly bool _ownsModule;
    private readonly object _gate = new();
    private readonly long[] _batchShape;

    /// <summary>Wraps <paramref name="module"/>.</summary>
    /// <param name="module">Maps N×C×H×W to N×L logits (not probabilities).</param>
    /// <param name="inputShape">The shape of one input image.</param>
    /// <param name="classCount">L.</param>
    /// <param name="device">Where the module's parameters live; CPU when <see langword="null"/>.</param>
    /// <param name="ownsModule">Dispose the module with this classifier.</param>
    public TorchSharpClassifier(nn.Module<Tensor, Tensor> module, ImageShape inputShape, int classCount,
        Device? device = null, bool ownsModule = false)
        : this(module, (module ?? throw new ArgumentNullException(nameof(module))).forward, inputShape, classCount, device, ownsModule)
    {
    }

    private TorchSharpClassifier(nn.Module module, Func<Tensor, Tensor> forward, ImageShape inputShape, int classCount,
        Device? device, bool ownsModule)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(classCount, 2);
        if (inputShape.Channels < 1 || inputShape.Height < 1 || inputShape.Width < 1)
            throw new ArgumentOutOfRangeException(nameof(inputShape), inputShape, "Every dimension must be positive.");
        _module = module;
        _forward = forward;
        _ownsModule = ownsModule;
        Device = device ?? CPU;
        InputShape = inputShape;
        ClassCount = classCount;
        _batchShape = new long[] { 0, inputShape.Channels, inputShape.Height, inputShape.Width };
        _module.eval();
    }

    /// <summary>Loads a TorchScript file (saved with <c>torch.jit.save</c>) that maps N×C×H×W to N×L logits.</summary>
    /// <exception cref="AdefModelException">The file is missing or is not TorchScript.</exception>
    public static TorchSharpClassifier LoadTorchScript(string path, ImageShape inputShape, int classCount, Device? device = null)
    {
        if (!File.Exists(path))
            throw new AdefModelException($"TorchScript file '{path}' does not exist.", path);
        jit.ScriptModule<Tensor, Tensor> module;
        try
        {
            module = jit.load<Tensor, Tensor>(path, device ?? CPU);
        }
        catch (Exception e) when (e is ExternalException or ArgumentException or InvalidOperationException)
        {
            throw new AdefModelException($"'{path}' could not be loaded as TorchScript: {e.Message}", path, e);
        }
        return new TorchSharpClassifier(module, module.forward, inputShape, classCount, device, ownsModule: true);
    }

    /// <inheritdoc />
    public ImageShape InputShape { get; }

    /// <inheritdoc />
    public int ClassCount { get; }

    /// <summary>The device the module runs on.</summary>
    public Device Device { get; }

    /// <inheritdoc />
    public void ComputeLogits(ReadOnlySpan<float> images, int count, Span<float> logits)
    {
        ClassifierArguments.CheckLogits(this, images, count, logits);
        if (count == 0) return;
        lock (_gate)
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            Tensor x = ToTensor(images, count);
            Tensor output = Forward(x, count);
            CopyToSpan(output, logits);
        }
    }

    /// <inheritdoc />
    public void ComputeLogitsAndMarginGradients(
        ReadOnlySpan<float> images, int count, ReadOnlySpan<int> targetLabels, int targetsPerImage,
        Span<float> logits, Span<float> gradients)
    {
        ClassifierArguments.CheckMarginGradients(this, images, count, targetLabels, targetsPerImage, logits, gradients);
        if (count == 0) return;
        lock (_gate)
        {
            using var scope = NewDisposeScope();
            using var grad = enable_grad();
            Tensor x = ToTensor(images, count).requires_grad_(true);
            Tensor output = Forward(x, count);
            CopyToSpan(output, logits);

            Tensor cotangents = tensor(MarginCotangents(logits, count, targetLabels, targetsPerImage),
                new long[] { targetsPerImage, count, ClassCount }).to(Device);
            var perTarget = new Tensor[targetsPerImage];
            for (int j = 0; j < targetsPerImage; j++)
            {
                bool retain = j < targetsPerImage - 1;
                perTarget[j] = autograd.grad(new[] { output }, new[] { x }, new[] { cotangents[j] }, retain_graph: retain)[0];
            }
            CopyToSpan(stack(perTarget, 1), gradients);
        }
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
        lock (_gate)
        {
            using var scope = NewDisposeScope();
            using var grad = enable_grad();
            Tensor x = ToTensor(images, count).requires_grad_(true);
            Tensor output = Forward(x, count);
            CopyToSpan(output, logits);
            Tensor loss = nn.functional.cross_entropy(output, tensor(targets).to(Device), reduction: nn.Reduction.Sum);
            CopyToSpan(autograd.grad(new[] { loss }, new[] { x })[0], gradients);
        }
    }

    /// <summary>K×N×L cotangents: row (j, i) is e_t − e_c with t = targets[i·K + j] and c = argmax of image i's logits.</summary>
    private float[] MarginCotangents(ReadOnlySpan<float> logits, int count, ReadOnlySpan<int> targets, int targetsPerImage)
    {
        var cotangents = new float[targetsPerImage * count * ClassCount];
        for (int i = 0; i < count; i++)
        {
            int current = Logits.ArgMax(logits.Slice(i * ClassCount, ClassCount));
            for (int j = 0; j < targetsPerImage; j++)
            {
                int offset = (j * count + i) * ClassCount;
                cotangents[offset + targets[i * targetsPerImage + j]] += 1;
                cotangents[offset + current] -= 1;
            }
        }
        return cotangents;
    }

    private Tensor ToTensor(ReadOnlySpan<float> images, int count)
    {
        _batchShape[0] = count;
        Tensor x = empty(_batchShape, float32);
        x.data<float>().CopyFrom(images, 0, 0);
        return Device.type == DeviceType.CPU ? x : x.to(Device);
    }

    private Tensor Forward(Tensor x, int count)
    {
        Tensor output = _forward(x);
        if (output.ndim != 2 || output.shape[0] != count || output.shape[1] != ClassCount)
            throw new InvalidOperationException(
                $"The module returned a tensor of shape [{string.Join(", ", output.shape)}]; expected [{count}, {ClassCount}] logits.");
        return output;
    }

    private static void CopyToSpan(Tensor tensor, Span<float> destination)
    {
        Tensor host = tensor.detach().contiguous();
        if (host.device_type != DeviceType.CPU) host = host.cpu();
        host.data<float>().CopyTo(destination, 0, 0);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_ownsModule) _module.Dispose();
    }
}
