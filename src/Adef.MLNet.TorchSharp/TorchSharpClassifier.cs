using System.Runtime.InteropServices;
using Adef.MLNet.Attacks;
using TorchSharp;
using static TorchSharp.torch;

namespace Adef.MLNet.Classifiers.TorchSharp;

/// <summary>
/// An <see cref="IDifferentiableClassifier"/> over a TorchSharp module that maps an N×C×H×W float
/// tensor to N×L logits. Gradients come from autograd: one forward pass per call and one backward
/// pass per target label, reusing the forward graph. As an <see cref="ITensorClassifier"/> it also takes and returns
/// tensors on its <see cref="TorchDevice"/>, so attacks on a GPU keep their images and gradients there.
/// </summary>
/// <remarks>
/// The module is put in evaluation mode. Calls are serialised with a lock, so one instance may be
/// shared between threads. The classifier does not own the module unless <c>ownsModule</c> is set. On a Linux CPU,
/// <see cref="CpuTensorMemory.TryKeepFreedMemory"/> at start-up makes attacks much faster.
/// </remarks>
public sealed partial class TorchSharpClassifier : ITensorClassifier, IDisposable
{
    private readonly nn.Module _module;
    private readonly Func<Tensor, Tensor> _forward;
    private readonly bool _ownsModule;
    private readonly object _gate = new();

    /// <summary>Wraps <paramref name="module"/>, moving it to <paramref name="device"/>.</summary>
    /// <param name="module">Maps N×C×H×W to N×L logits (not probabilities); moved to <paramref name="device"/>.</param>
    /// <param name="inputShape">The shape of one input image.</param>
    /// <param name="classCount">L.</param>
    /// <param name="device"><c>cpu</c> (the default), <c>cuda</c> or <c>cuda:N</c>.</param>
    /// <param name="ownsModule">Dispose the module with this classifier.</param>
    /// <exception cref="DeviceUnavailableException">The device cannot be used (the message says what was tried).</exception>
    public TorchSharpClassifier(nn.Module<Tensor, Tensor> module, ImageShape inputShape, int classCount, ComputeDevice device = default,
        bool ownsModule = false)
        : this(MoveTo(module, device, out Device resolved), inputShape, classCount, resolved, ownsModule)
    {
    }

    /// <summary>Wraps <paramref name="module"/>, whose parameters already live on <paramref name="device"/> (the training code's form).</summary>
    internal TorchSharpClassifier(nn.Module<Tensor, Tensor> module, ImageShape inputShape, int classCount, Device device, bool ownsModule = false)
        : this(module ?? throw new ArgumentNullException(nameof(module)), module.forward, inputShape, classCount, device, ownsModule)
    {
    }

    private TorchSharpClassifier(nn.Module module, Func<Tensor, Tensor> forward, ImageShape inputShape, int classCount,
        Device device, bool ownsModule)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(classCount, 2);
        if (inputShape.Channels < 1 || inputShape.Height < 1 || inputShape.Width < 1)
            throw new ArgumentOutOfRangeException(nameof(inputShape), inputShape, "Every dimension must be positive.");
        _module = module;
        _forward = forward;
        _ownsModule = ownsModule;
        TorchDevice = device;
        Device = TorchSharpDevices.ToComputeDevice(device);
        InputShape = inputShape;
        ClassCount = classCount;
        _module.eval();
    }

    private static nn.Module<Tensor, Tensor> MoveTo(nn.Module<Tensor, Tensor> module, ComputeDevice device, out Device resolved)
    {
        ArgumentNullException.ThrowIfNull(module);
        resolved = TorchSharpDevices.Resolve(device);
        module.to(resolved);
        return module;
    }

    /// <summary>Loads a TorchScript file (saved with <c>torch.jit.save</c>) that maps N×C×H×W to N×L logits onto <paramref name="device"/>.</summary>
    /// <param name="path">The TorchScript file.</param>
    /// <param name="inputShape">The shape of one input image.</param>
    /// <param name="classCount">L.</param>
    /// <param name="device"><c>cpu</c> (the default), <c>cuda</c> or <c>cuda:N</c>.</param>
    /// <exception cref="DeviceUnavailableException">The device cannot be used.</exception>
    /// <exception cref="InvalidModelException">The file is missing or is not TorchScript.</exception>
    public static TorchSharpClassifier LoadTorchScript(string path, ImageShape inputShape, int classCount, ComputeDevice device = default)
    {
        if (!File.Exists(path))
            throw new InvalidModelException($"TorchScript file '{path}' does not exist.", path);
        Device resolved = TorchSharpDevices.Resolve(device);
        jit.ScriptModule<Tensor, Tensor> module;
        try
        {
            module = jit.load<Tensor, Tensor>(path, resolved);
        }
        catch (Exception e) when (e is ExternalException or ArgumentException or InvalidOperationException)
        {
            throw new InvalidModelException($"'{path}' could not be loaded as TorchScript: {e.Message}", path, e);
        }
        return new TorchSharpClassifier(module, module.forward, inputShape, classCount, resolved, ownsModule: true);
    }

    /// <inheritdoc />
    public ImageShape InputShape { get; }

    /// <inheritdoc />
    public int ClassCount { get; }

    /// <summary>
    /// How 8-bit pixels become the module's input (channel order, scale, per-channel mean and std), or <see langword="null"/>
    /// (the default) when not stated. Its channel count must match <see cref="InputShape"/>.
    /// </summary>
    /// <exception cref="ArgumentException">The preprocessing fills another number of channels than the module takes.</exception>
    public Data.ImagePreprocessing? InputPreprocessing
    {
        get => _inputPreprocessing;
        set
        {
            value?.RequireChannels(InputShape.Channels, "the module", nameof(InputPreprocessing));
            _inputPreprocessing = value;
        }
    }

    private Data.ImagePreprocessing? _inputPreprocessing;

    /// <inheritdoc />
    public ComputeDevice Device { get; }

    /// <summary>The TorchSharp device the module runs on (<see cref="Device"/> in TorchSharp's terms).</summary>
    public Device TorchDevice { get; }

    /// <summary>
    /// Let cuBLAS and cuDNN use TF32 (a 10-bit mantissa) for this classifier's model calls and for the attacks' operations on
    /// its GPU. Default <see langword="false"/>: full fp32, because TF32's rounding changes the attacks' trajectories (their mean
    /// iterations and which images they fool). The process-wide settings are restored after each call and each attack.
    /// Ignored on the CPU.
    /// </summary>
    public bool AllowTf32 { get; init; }

    /// <inheritdoc />
    /// <exception cref="ArgumentException"><paramref name="images"/> is not N×C×H×W float32 on <see cref="TorchDevice"/>.</exception>
    public Tensor Logits(Tensor images)
    {
        long count = CheckImages(images);
        lock (_gate)
        {
            using var precision = Tf32Scope.Enter(TorchDevice, AllowTf32);
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            return Forward(images, count).detach().MoveToOuterDisposeScope();
        }
    }

    /// <inheritdoc />
    /// <exception cref="ArgumentException">A tensor has the wrong shape, type or device, or a target is not a class index.</exception>
    public (Tensor Logits, Tensor Gradients) LogitsAndMarginGradients(Tensor images, Tensor targets)
    {
        long count = CheckImages(images);
        ArgumentNullException.ThrowIfNull(targets);
        if (targets.ndim != 2 || targets.shape[0] != count || targets.shape[1] < 1 || targets.dtype != ScalarType.Int64)
            throw new ArgumentException($"Expected {count}×K int64 targets, got [{string.Join(", ", targets.shape)}] {targets.dtype}.", nameof(targets));
        return WithGraph(images, count, (x, output) =>
        {
            if (targets.lt(0).logical_or(targets.ge(ClassCount)).any().item<bool>()) // one host sync; a bad index would be a device-side assert on CUDA
                throw new ArgumentException($"Target labels must lie in [0, {ClassCount}).", nameof(targets));
            Tensor gradients = MarginGradients(x, output, targets);
            return (output.detach().MoveToOuterDisposeScope(), gradients.MoveToOuterDisposeScope());
        });
    }

    /// <inheritdoc />
    /// <remarks>One forward pass: the targets are chosen from its logits before the backward passes.</remarks>
    /// <exception cref="ArgumentException">The images have the wrong shape, type or device, or no rank is given.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A rank lies outside [0, L).</exception>
    public (Tensor Logits, Tensor Targets, Tensor Gradients) LogitsAndRankedMarginGradients(Tensor images, ReadOnlySpan<int> ranks)
    {
        long count = CheckImages(images);
        RankedTargets.CheckRanks(ranks, ClassCount);
        int[] rankList = ranks.ToArray(); // a span cannot enter the lambda
        return WithGraph(images, count, (x, output) =>
        {
            Tensor targets = TensorRankedTargets.Choose(output.detach(), rankList);
            Tensor gradients = MarginGradients(x, output, targets);
            return (output.detach().MoveToOuterDisposeScope(), targets.MoveToOuterDisposeScope(), gradients.MoveToOuterDisposeScope());
        });
    }

    /// <summary>
    /// N×K×C×H×W gradients of the margins F_t − F_c of <paramref name="output"/> (computed from <paramref name="x"/> with the
    /// graph recorded): one backward pass per target column, reusing the forward graph.
    /// </summary>
    private Tensor MarginGradients(Tensor x, Tensor output, Tensor targets)
    {
        long k = targets.shape[1];
        // Row (j, i) of the K×N×L cotangents is e_t − e_c, t = targets[i, j], c = argmax of image i's logits (the first maximal one).
        Tensor current = nn.functional.one_hot(output.detach().argmax(1), ClassCount).unsqueeze(1);
        Tensor cotangents = (nn.functional.one_hot(targets, ClassCount) - current).to(output.dtype).permute(1, 0, 2).contiguous();
        var perTarget = new Tensor[k];
        for (int j = 0; j < k; j++)
        {
            bool retain = j < k - 1;
            perTarget[j] = autograd.grad(new[] { output }, new[] { x }, new[] { cotangents[j] }, retain_graph: retain)[0];
        }
        return stack(perTarget, 1);
    }

    /// <inheritdoc />
    /// <exception cref="ArgumentException">A tensor has the wrong shape, type or device.</exception>
    public (Tensor Logits, Tensor Gradients) LogitsAndLossGradients(Tensor images, Tensor labels)
    {
        long count = CheckImages(images);
        ArgumentNullException.ThrowIfNull(labels);
        if (labels.ndim != 1 || labels.shape[0] != count || labels.dtype != ScalarType.Int64)
            throw new ArgumentException($"Expected {count} int64 labels, got [{string.Join(", ", labels.shape)}] {labels.dtype}.", nameof(labels));
        return WithGraph(images, count, (x, output) =>
        {
            // Autograd of the summed per-image losses with respect to the input only: parameter gradients are neither computed
            // nor accumulated, so an optimiser sharing the module sees no stale gradients.
            Tensor loss = nn.functional.cross_entropy(output, labels, reduction: nn.Reduction.Sum);
            Tensor gradients = autograd.grad(new[] { loss }, new[] { x })[0];
            return (output.detach().MoveToOuterDisposeScope(), gradients.MoveToOuterDisposeScope());
        });
    }

    /// <summary>
    /// Runs <paramref name="body"/> with the graph of one forward pass recorded: under the classifier's lock, with TF32 as
    /// <see cref="AllowTf32"/> says, in a dispose scope, on a leaf copy x of <paramref name="images"/> and the module's output.
    /// What <paramref name="body"/> returns must be moved out of the scope.
    /// </summary>
    private T WithGraph<T>(Tensor images, long count, Func<Tensor, Tensor, T> body)
    {
        lock (_gate)
        {
            using var precision = Tf32Scope.Enter(TorchDevice, AllowTf32);
            using var scope = NewDisposeScope();
            using var grad = enable_grad();
            Tensor x = images.detach().requires_grad_(true);
            return body(x, Forward(x, count));
        }
    }

    private long CheckImages(Tensor images)
    {
        ArgumentNullException.ThrowIfNull(images);
        if (images.ndim != 4 || images.shape[1] != InputShape.Channels || images.shape[2] != InputShape.Height
            || images.shape[3] != InputShape.Width || images.dtype != ScalarType.Float32)
            throw new ArgumentException(
                $"Expected N×{InputShape.Channels}×{InputShape.Height}×{InputShape.Width} float32 images, got [{string.Join(", ", images.shape)}] {images.dtype}.",
                nameof(images));
        if (images.device_type != TorchDevice.type || (TorchDevice.index >= 0 && images.device_index >= 0 && images.device_index != TorchDevice.index))
            throw new ArgumentException($"The images are on {images.device}; this classifier runs on {TorchDevice}.", nameof(images));
        return images.shape[0];
    }

    private Tensor Forward(Tensor x, long count)
    {
        Tensor output = _forward(x);
        if (output.ndim != 2 || output.shape[0] != count || output.shape[1] != ClassCount)
            throw new InvalidOperationException(
                $"The module returned a tensor of shape [{string.Join(", ", output.shape)}]; expected [{count}, {ClassCount}] logits.");
        return output;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_ownsModule) _module.Dispose();
    }
}
