using System.Runtime.InteropServices;
using Adef.MLNet.Classifiers.Onnx;
using Microsoft.ML.OnnxRuntime;
using TorchSharp;
using static TorchSharp.torch;
using TensorElementType = Microsoft.ML.OnnxRuntime.Tensors.TensorElementType;

namespace Adef.MLNet.Classifiers.TorchSharp;

/// <summary>
/// An <see cref="OnnxClassifier"/> seen through torch tensors, so that attacks on an ONNX model that ONNX Runtime runs on a GPU
/// keep their images, fields and gradients in GPU memory through all iterations (the attacks' own work runs as torch
/// operations there). Both of the classifier's sessions run with ONNX Runtime IO binding over the memory of the tensors
/// (<see cref="OrtValue"/>s wrapping their data pointers, no copies).
/// </summary>
/// <remarks>
/// <see cref="TorchDevice"/> is the ONNX classifier's GPU when it runs on CUDA and TorchSharp can use CUDA too (a CUDA build of
/// libtorch); otherwise the CPU, where ONNX Runtime reads and writes the tensors' host memory. The span seam passes through to
/// the wrapped classifier. The CUDA form is untested in this project's continuous integration (ONNX Runtime's CUDA build is
/// not installed there); the host form is tested.
/// </remarks>
/// <example>
/// <code>
/// using var onnx = new OnnxClassifier("model.onnx", new OnnxClassifierOptions { Device = ComputeDevice.Cuda });
/// var classifier = new OnnxTensorClassifier(onnx);
/// AdefResult[] results = new AdefAttack(classifier, AdefOptions.ImageNet).Run(images);
/// </code>
/// </example>
public sealed class OnnxTensorClassifier : ITensorClassifier, IDisposable
{
    private readonly OnnxClassifier _onnx;
    private readonly OrtMemoryInfo? _deviceMemory;

    /// <summary>Wraps <paramref name="onnx"/>, which the caller keeps owning (dispose it after this wrapper).</summary>
    /// <exception cref="ArgumentNullException"><paramref name="onnx"/> is null.</exception>
    public OnnxTensorClassifier(OnnxClassifier onnx)
    {
        _onnx = onnx ?? throw new ArgumentNullException(nameof(onnx));
        if (onnx.Device.IsGpu && TorchSharpDevices.IsCudaAvailable(out _))
        {
            TorchDevice = torch.device(DeviceType.CUDA, onnx.Device.GpuOrdinal);
            _deviceMemory = new OrtMemoryInfo(OrtMemoryInfo.allocatorCUDA, OrtAllocatorType.DeviceAllocator, onnx.Device.GpuOrdinal, OrtMemType.Default);
        }
        else
        {
            TorchDevice = CPU;
        }
    }

    /// <inheritdoc />
    public ImageShape InputShape => _onnx.InputShape;

    /// <inheritdoc />
    public int ClassCount => _onnx.ClassCount;

    /// <summary>How 8-bit pixels become the model's input (<see cref="OnnxClassifier.InputPreprocessing"/>), or <see langword="null"/>.</summary>
    public Data.ImagePreprocessing? InputPreprocessing => _onnx.InputPreprocessing;

    /// <summary>Where ONNX Runtime runs the model (<see cref="OnnxClassifier.Device"/>).</summary>
    public ComputeDevice Device => _onnx.Device;

    /// <summary>
    /// Where the tensors of the tensor seam live: the ONNX classifier's GPU when it runs on CUDA and TorchSharp can use CUDA,
    /// the CPU otherwise.
    /// </summary>
    public Device TorchDevice { get; }

    /// <inheritdoc />
    public void ComputeLogits(ReadOnlySpan<float> images, int count, Span<float> logits) => _onnx.ComputeLogits(images, count, logits);

    /// <inheritdoc />
    public void ComputeLogitsAndMarginGradients(ReadOnlySpan<float> images, int count, ReadOnlySpan<int> targetLabels, int targetsPerImage,
        Span<float> logits, Span<float> gradients) =>
        _onnx.ComputeLogitsAndMarginGradients(images, count, targetLabels, targetsPerImage, logits, gradients);

    /// <inheritdoc />
    public void ComputeLogitsAndRankedMarginGradients(ReadOnlySpan<float> images, int count, ReadOnlySpan<int> ranks,
        Span<float> logits, Span<int> targets, Span<float> gradients) =>
        _onnx.ComputeLogitsAndRankedMarginGradients(images, count, ranks, logits, targets, gradients);

    /// <inheritdoc />
    /// <exception cref="ArgumentException"><paramref name="images"/> is not N×C×H×W float32 on <see cref="TorchDevice"/>.</exception>
    /// <exception cref="InvalidOperationException">ONNX Runtime failed to run the model.</exception>
    public Tensor Logits(Tensor images)
    {
        long count = CheckTensor(images, nameof(images), ScalarType.Float32, InputShape.Channels, InputShape.Height, InputShape.Width);
        using var scope = NewDisposeScope();
        Tensor logits = empty(new[] { count, ClassCount }, float32, TorchDevice);
        if (count > 0) RunBound(gradients: false, chosenTargets: false, [images.contiguous()], [logits], count);
        return logits.MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    /// <exception cref="ArgumentException">A tensor has the wrong shape, type or device.</exception>
    /// <exception cref="NotSupportedException">The model contains an operator the gradient builder has no rule for.</exception>
    /// <exception cref="InvalidOperationException">ONNX Runtime failed to run the gradient model.</exception>
    public (Tensor Logits, Tensor Gradients) LogitsAndMarginGradients(Tensor images, Tensor targets)
    {
        long count = CheckTensor(images, nameof(images), ScalarType.Float32, InputShape.Channels, InputShape.Height, InputShape.Width);
        CheckTensor(targets, nameof(targets), ScalarType.Int64);
        if (targets.ndim != 2 || targets.shape[0] != count || targets.shape[1] < 1)
            throw new ArgumentException($"Expected {count}×K targets, got [{string.Join(", ", targets.shape)}].", nameof(targets));
        long k = targets.shape[1];
        using var scope = NewDisposeScope();
        Tensor logits = empty(new[] { count, ClassCount }, float32, TorchDevice);
        Tensor gradients = empty(new[] { count, k, InputShape.Channels, InputShape.Height, InputShape.Width }, float32, TorchDevice);
        if (count > 0) RunBound(gradients: true, chosenTargets: false, [images.contiguous(), targets.contiguous()], [logits, gradients], count);
        return (logits.MoveToOuterDisposeScope(), gradients.MoveToOuterDisposeScope());
    }

    /// <inheritdoc />
    /// <remarks>One run of the gradient model, which chooses the targets from its own logits (see
    /// <see cref="OnnxClassifier.ComputeLogitsAndRankedMarginGradients"/>).</remarks>
    /// <exception cref="ArgumentException">The images have the wrong shape, type or device, or no rank is given.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A rank lies outside [0, L).</exception>
    /// <exception cref="NotSupportedException">The model contains an operator the gradient builder has no rule for.</exception>
    /// <exception cref="InvalidOperationException">ONNX Runtime failed to run the gradient model.</exception>
    public (Tensor Logits, Tensor Targets, Tensor Gradients) LogitsAndRankedMarginGradients(Tensor images, ReadOnlySpan<int> ranks)
    {
        long count = CheckTensor(images, nameof(images), ScalarType.Float32, InputShape.Channels, InputShape.Height, InputShape.Width);
        RankedTargets.CheckRanks(ranks, ClassCount);
        long k = ranks.Length;
        using var scope = NewDisposeScope();
        Tensor request = tensor(OnnxClassifier.RankRequest(count, ranks), int64, TorchDevice).view(count, k);
        Tensor chosen = empty(new[] { count, k }, int64, TorchDevice);
        Tensor logits = empty(new[] { count, ClassCount }, float32, TorchDevice);
        Tensor gradients = empty(new[] { count, k, InputShape.Channels, InputShape.Height, InputShape.Width }, float32, TorchDevice);
        if (count > 0) RunBound(gradients: true, chosenTargets: true, [images.contiguous(), request], [logits, gradients, chosen], count);
        return (logits.MoveToOuterDisposeScope(), chosen.MoveToOuterDisposeScope(), gradients.MoveToOuterDisposeScope());
    }

    /// <summary>Runs one of the ONNX classifier's sessions with its inputs and outputs bound to the tensors' memory.</summary>
    private void RunBound(bool gradients, bool chosenTargets, Tensor[] inputs, Tensor[] outputs, long count)
    {
        var values = new List<OrtValue>(inputs.Length + outputs.Length);
        try
        {
            foreach (Tensor input in inputs) values.Add(Wrap(input));
            foreach (Tensor output in outputs) values.Add(Wrap(output));
            // Torch's kernels run on their own CUDA stream: the inputs must be complete before ONNX Runtime reads them.
            Action? beforeRun = TorchDevice.type == DeviceType.CUDA ? () => cuda.synchronize(TorchDevice) : null;
            _onnx.RunBound(gradients, chosenTargets, values.Take(inputs.Length).ToArray(), values.Skip(inputs.Length).ToArray(),
                (int)count, beforeRun);
        }
        finally
        {
            foreach (OrtValue value in values) value.Dispose();
        }
    }

    /// <summary>An <see cref="OrtValue"/> over a contiguous tensor's memory (host or CUDA), without a copy.</summary>
    private OrtValue Wrap(Tensor tensor)
    {
        (TensorElementType type, int size) = tensor.dtype switch
        {
            ScalarType.Float32 => (TensorElementType.Float, sizeof(float)),
            ScalarType.Int64 => (TensorElementType.Int64, sizeof(long)),
            _ => throw new ArgumentException($"Tensors of {tensor.dtype} are not bound.", nameof(tensor)),
        };
        OrtMemoryInfo memory = tensor.device_type == DeviceType.CUDA ? _deviceMemory! : OrtMemoryInfo.DefaultInstance;
        return OrtValue.CreateTensorValueWithData(memory, type, tensor.shape, DataPointer(tensor), tensor.numel() * size);
    }

    /// <summary>The address of a tensor's first element (host or device memory): libtorch's <c>data_ptr()</c>, which TorchSharp 0.107 does not expose.</summary>
    private static IntPtr DataPointer(Tensor tensor)
    {
        IntPtr pointer = THSTensor_data(tensor.Handle);
        if (pointer == IntPtr.Zero && tensor.numel() > 0)
            throw new InvalidOperationException("libtorch returned no data pointer for a non-empty tensor.");
        return pointer;
    }

    [DllImport("LibTorchSharp")]
    private static extern IntPtr THSTensor_data(IntPtr handle);

    private long CheckTensor(Tensor tensor, string name, ScalarType type, params long[] trailing)
    {
        ArgumentNullException.ThrowIfNull(tensor, name);
        if (tensor.dtype != type)
            throw new ArgumentException($"Expected {type}, got {tensor.dtype}.", name);
        if (trailing.Length > 0 && (tensor.ndim != trailing.Length + 1 || !tensor.shape.Skip(1).SequenceEqual(trailing)))
            throw new ArgumentException($"Expected N×{string.Join("×", trailing)}, got [{string.Join(", ", tensor.shape)}].", name);
        if (tensor.device_type != TorchDevice.type)
            throw new ArgumentException($"The tensor is on {tensor.device}; this classifier's tensors live on {TorchDevice}.", name);
        return tensor.shape[0];
    }

    /// <summary>Releases the description of the GPU memory that is bound; the ONNX classifier stays the caller's.</summary>
    public void Dispose() => _deviceMemory?.Dispose();
}
