using Adef.MLNet.Classifiers.Onnx.Gradients;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using Onnx;

namespace Adef.MLNet.Classifiers.Onnx;

public sealed partial class OnnxClassifier
{
    /// <summary>
    /// Builds the gradient model now rather than on the first <see cref="ComputeLogitsAndMarginGradients"/> call,
    /// so that an operator without a gradient rule is reported up front. Calling it again does nothing.
    /// </summary>
    /// <exception cref="NotSupportedException">The model contains an operator the gradient builder has no rule for (the message names it and its node).</exception>
    public void PrepareGradients()
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            GradientSession();
        }
    }

    /// <summary>The session of the gradient-augmented model, built on first use.</summary>
    private InferenceSession GradientSession()
    {
        if (_gradient is not null) return _gradient;
        if (_upgradeError is not null || _prepared.Upgraded is null)
            throw new NotSupportedException(
                $"Gradients of {Describe()} are not available: {_upgradeError?.Message}", _upgradeError);
        ModelProto augmented;
        try
        {
            augmented = _buildGradientGraph(_prepared.Upgraded, _prepared.InputName, _prepared.LogitsName);
        }
        catch (Exception e) when (e is NullReferenceException or IndexOutOfRangeException or ArgumentException
                                      or InvalidCastException or OverflowException or KeyNotFoundException or InvalidOperationException)
        {
            // The builder's arguments come from the prepared model, so any of these means the graph broke one of its assumptions.
            throw new InvalidModelException($"The gradient model of {Describe()} could not be built: its graph is malformed ({e.GetType().Name}: {e.Message}).", _source, e);
        }
        try
        {
            _gradient = new InferenceSession(augmented.ToByteArray(), _sessionOptions);
        }
        catch (OnnxRuntimeException e)
        {
            throw new InvalidOperationException(
                $"ONNX Runtime could not load the gradient model built for {Describe()}: {e.Message}", e);
        }
        _gradientInputs = new[] { _prepared.InputName, MarginGradientGraph.TargetsInput };
        _gradientOutputs = new[] { _prepared.LogitsName, MarginGradientGraph.GradientsOutput };
        return _gradient;
    }

    private (SessionOptions, InferenceSession, ComputeDevice) CreateForwardSession(byte[] model, OnnxClassifierOptions options)
    {
        if (options.Device.IsGpu)
        {
            int device = options.Device.GpuOrdinal;
            SessionOptions? cuda = null;
            try
            {
                cuda = NewSessionOptions(options);
                using var provider = new OrtCUDAProviderOptions();
                provider.UpdateOptions(new Dictionary<string, string>
                {
                    ["device_id"] = device.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    ["use_tf32"] = options.AllowTf32 ? "1" : "0",
                });
                cuda.AppendExecutionProvider_CUDA(provider);
                return (cuda, new InferenceSession(model, cuda), ComputeDevice.CudaAt(device));
            }
            catch (Exception e) when (e is OnnxRuntimeException or EntryPointNotFoundException or DllNotFoundException or TypeInitializationException)
            {
                cuda?.Dispose();
                string tried = $"The CUDA execution provider on GPU {device} could not be used: {e.Message}";
                if (!options.FallbackToCpu)
                    throw new DeviceUnavailableException(
                        tried + " The application must reference the GPU build of ONNX Runtime (Microsoft.ML.OnnxRuntime.Gpu) " +
                        "and have a matching CUDA and cuDNN; or set OnnxClassifierOptions.FallbackToCpu = true.",
                        options.Device, [$"ONNX Runtime's CUDA execution provider on GPU {device}: {e.Message}"], e);
                _warnings.Add(tried + " Running on the CPU instead.");
            }
        }
        var cpu = NewSessionOptions(options);
        try
        {
            return (cpu, new InferenceSession(model, cpu), ComputeDevice.Cpu);
        }
        catch (OnnxRuntimeException e)
        {
            cpu.Dispose();
            throw new InvalidModelException($"ONNX Runtime could not load {Describe()}: {e.Message}", _source, e);
        }
    }

    private static SessionOptions NewSessionOptions(OnnxClassifierOptions options)
    {
        // No memory pattern: attacks call with a new batch size almost every iteration (images finish one by one), and a
        // pattern recorded for one shape only costs a second large allocation when the next call's shape differs
        // (docs/onnx-gradients.md).
        var sessionOptions = new SessionOptions { LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR, EnableMemoryPattern = false };
        if (options.IntraOpThreads > 0) sessionOptions.IntraOpNumThreads = options.IntraOpThreads;
        return sessionOptions;
    }
}
