using System.Runtime.InteropServices;
using Adef.MLNet.Classifiers.Onnx.Gradients;
using Microsoft.ML.OnnxRuntime;
using Tensor = TorchSharp.torch.Tensor;
using TensorElementType = Microsoft.ML.OnnxRuntime.Tensors.TensorElementType;
using TorchSharp;
using static TorchSharp.torch;

namespace Adef.MLNet.Classifiers.Onnx;

/// <summary>
/// The tensor seam of <see cref="OnnxClassifier"/>: both sessions run with ONNX Runtime IO binding over the memory of
/// TorchSharp tensors (<see cref="OrtValue"/>s wrapping their data pointers, no copies). With the CUDA execution
/// provider and a CUDA TorchSharp, <see cref="Device"/> is that GPU, so attacks keep images, logits and gradients in
/// GPU memory through all iterations (inputs and outputs bound as CUDA memory); otherwise the tensors are on the host
/// and ONNX Runtime copies them to and from its device itself. The CUDA form cannot be exercised on this project's
/// machines (ONNX Runtime's CUDA provider library exceeds what travels to the lent GPU machine); the host form is tested.
/// </summary>
public sealed partial class OnnxClassifier : ITensorClassifier
{
    private OrtMemoryInfo? _deviceMemory;
    private Device? _device;

    /// <summary>
    /// Where the tensors of <see cref="Logits(Tensor)"/> and <see cref="LogitsAndMarginGradients(Tensor, Tensor)"/> live: the
    /// session's GPU when it runs on CUDA and TorchSharp can use CUDA too, the CPU otherwise.
    /// </summary>
    public Device Device => _device ??= ExecutionProvider == OnnxExecutionProvider.Cuda && TorchCudaAvailable()
        ? torch.device(DeviceType.CUDA, _gpuDeviceId)
        : CPU;

    /// <inheritdoc />
    /// <exception cref="ArgumentException"><paramref name="images"/> is not N×C×H×W float32 on <see cref="Device"/>.</exception>
    /// <exception cref="InvalidOperationException">ONNX Runtime failed to run the model.</exception>
    public Tensor Logits(Tensor images)
    {
        long count = CheckTensor(images, nameof(images), ScalarType.Float32, InputShape.Channels, InputShape.Height, InputShape.Width);
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            using var scope = NewDisposeScope();
            Tensor logits = empty(new[] { count, ClassCount }, float32, Device);
            if (count > 0) RunBound(_forward, _forwardInputs, new[] { images.contiguous() }, _forwardOutputs, new[] { logits }, (int)count, "");
            return logits.MoveToOuterDisposeScope();
        }
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
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            InferenceSession session = GradientSession();
            using var scope = NewDisposeScope();
            Tensor logits = empty(new[] { count, ClassCount }, float32, Device);
            Tensor gradients = empty(new[] { count, k, InputShape.Channels, InputShape.Height, InputShape.Width }, float32, Device);
            if (count > 0)
                RunBound(session, _gradientInputs!, new[] { images.contiguous(), targets.contiguous() }, _gradientOutputs!,
                    new[] { logits, gradients }, (int)count, " (gradient model)");
            return (logits.MoveToOuterDisposeScope(), gradients.MoveToOuterDisposeScope());
        }
    }

    /// <inheritdoc />
    /// <remarks>One run of the gradient model, which chooses the targets from its own logits (see
    /// <see cref="ComputeLogitsAndRankedMarginGradients"/>).</remarks>
    /// <exception cref="ArgumentException">The images have the wrong shape, type or device, or no rank is given.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A rank lies outside [0, L).</exception>
    /// <exception cref="NotSupportedException">The model contains an operator the gradient builder has no rule for.</exception>
    /// <exception cref="InvalidOperationException">ONNX Runtime failed to run the gradient model.</exception>
    public (Tensor Logits, Tensor Targets, Tensor Gradients) LogitsAndRankedMarginGradients(Tensor images, ReadOnlySpan<int> ranks)
    {
        long count = CheckTensor(images, nameof(images), ScalarType.Float32, InputShape.Channels, InputShape.Height, InputShape.Width);
        RankedTargets.CheckRanks(ranks, ClassCount);
        int k = ranks.Length;
        long[] request = RankRequest(count, ranks);
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            InferenceSession session = GradientSession();
            using var scope = NewDisposeScope();
            Tensor targets = tensor(request, int64, Device).view(count, k);
            Tensor chosen = empty(new[] { count, (long)k }, int64, Device);
            Tensor logits = empty(new[] { count, ClassCount }, float32, Device);
            Tensor gradients = empty(new[] { count, k, InputShape.Channels, InputShape.Height, InputShape.Width }, float32, Device);
            if (count > 0)
                RunBound(session, _gradientInputs!, new[] { images.contiguous(), targets }, [.. _gradientOutputs!, MarginGradientGraph.ChosenTargetsOutput],
                    new[] { logits, gradients, chosen }, (int)count, " (gradient model)");
            return (logits.MoveToOuterDisposeScope(), chosen.MoveToOuterDisposeScope(), gradients.MoveToOuterDisposeScope());
        }
    }

    /// <summary>Runs <paramref name="session"/> with its inputs and outputs bound to the tensors' memory.</summary>
    private void RunBound(InferenceSession session, string[] inputNames, Tensor[] inputs, string[] outputNames, Tensor[] outputs,
        int count, string which)
    {
        var values = new List<OrtValue>(inputs.Length + outputs.Length);
        using OrtIoBinding binding = session.CreateIoBinding();
        try
        {
            for (int i = 0; i < inputs.Length; i++)
            {
                values.Add(Wrap(inputs[i]));
                binding.BindInput(inputNames[i], values[^1]);
            }
            for (int i = 0; i < outputs.Length; i++)
            {
                values.Add(Wrap(outputs[i]));
                binding.BindOutput(outputNames[i], values[^1]);
            }
            // Torch's kernels run on their own CUDA stream: the inputs must be complete before ONNX Runtime reads them,
            // and ONNX Runtime's writes complete before torch reads the outputs.
            if (Device.type == DeviceType.CUDA) cuda.synchronize(Device);
            binding.SynchronizeBoundInputs();
            session.RunWithBinding(_runOptions, binding);
            binding.SynchronizeBoundOutputs();
        }
        catch (OnnxRuntimeException e)
        {
            throw RunFailed(e, count, which);
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
        OrtMemoryInfo memory = tensor.device_type == DeviceType.CUDA
            ? _deviceMemory ??= new OrtMemoryInfo(OrtMemoryInfo.allocatorCUDA, OrtAllocatorType.DeviceAllocator, _gpuDeviceId, OrtMemType.Default)
            : OrtMemoryInfo.DefaultInstance;
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
        if (tensor.device_type != Device.type)
            throw new ArgumentException($"The tensor is on {tensor.device}; this classifier's tensors live on {Device}.", name);
        return tensor.shape[0];
    }

    private static bool TorchCudaAvailable()
    {
        try
        {
            return cuda.is_available();
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or TypeInitializationException or NotSupportedException)
        {
            return false;
        }
    }
}
