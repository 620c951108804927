using Adef.MLNet.Classifiers.Onnx.Gradients;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Onnx;

namespace Adef.MLNet.Classifiers.Onnx;

/// <summary>
/// An <see cref="IDifferentiableClassifier"/> over an ONNX image classifier, run by ONNX Runtime. Logits come
/// from the model itself; margin gradients from the same model augmented with its reverse-mode derivative
/// (standard ONNX operators only, so it runs on any execution provider), built on the first gradient call.
/// </summary>
/// <remarks>
/// <para>
/// The model needs one float32 image input [N, C, H, W] with C, H and W fixed; a batch fixed at 1 is made
/// symbolic (a Reshape whose constant target starts with 1 is changed to start with −1, which covers the ONNX
/// model zoo's MNIST; other hard-coded batch sizes inside the graph remain the model's business and show up
/// as ONNX Runtime errors for batches larger than 1). The logits tensor may be N×L or N×L×1×1.
/// </para>
/// <para>
/// Both ONNX Runtime sessions are created once and reused. Calls are serialised with a lock, so one instance
/// may be shared between threads. Inputs and outputs are passed to ONNX Runtime as pinned views of the
/// caller's spans, without copies.
/// </para>
/// </remarks>
public sealed class OnnxClassifier : IDifferentiableClassifier, IDisposable
{
    private readonly PreparedOnnxModel _prepared;
    private readonly string? _source;
    private readonly object _gate = new();
    private readonly List<string> _warnings;
    private readonly SessionOptions _sessionOptions;
    private readonly InferenceSession _forward;
    private readonly RunOptions _runOptions;
    private readonly string[] _forwardInputs;
    private readonly string[] _forwardOutputs;
    private InferenceSession? _gradient;
    private string[]? _gradientInputs;
    private string[]? _gradientOutputs;
    private readonly Func<ModelProto, string, string, ModelProto> _buildGradientGraph;
    private readonly NotSupportedException? _upgradeError;
    private bool _disposed;

    /// <summary>Most classes a model may have (a larger declared count is taken for a corrupt model).</summary>
    private const int MaxClasses = 1 << 24;

    /// <summary>Loads the ONNX model at <paramref name="modelPath"/>.</summary>
    /// <param name="modelPath">An .onnx file with all tensors inside it.</param>
    /// <param name="options">Input/output choice and execution settings; defaults when <see langword="null"/>.</param>
    /// <exception cref="InvalidModelException">The file is missing or malformed, or the model's inputs or outputs do not fit (the message says why).</exception>
    /// <exception cref="DeviceUnavailableException">The CUDA execution provider was requested without <see cref="OnnxClassifierOptions.FallbackToCpu"/> and cannot be used.</exception>
    public OnnxClassifier(string modelPath, OnnxClassifierOptions? options = null)
        : this(OnnxModelFile.Read(modelPath), modelPath, options, MarginGradientGraph.Build)
    {
    }

    /// <summary>Loads an ONNX model from its serialised bytes.</summary>
    /// <param name="model">The contents of an .onnx file.</param>
    /// <param name="options">Input/output choice and execution settings; defaults when <see langword="null"/>.</param>
    /// <exception cref="InvalidModelException">The bytes are not an ONNX model, or its inputs or outputs do not fit.</exception>
    /// <exception cref="DeviceUnavailableException">The CUDA execution provider was requested without <see cref="OnnxClassifierOptions.FallbackToCpu"/> and cannot be used.</exception>
    public OnnxClassifier(byte[] model, OnnxClassifierOptions? options = null)
        : this(model, options, MarginGradientGraph.Build)
    {
    }

    /// <summary>For tests: a classifier whose gradient model comes from <paramref name="buildGradientGraph"/>.</summary>
    internal OnnxClassifier(byte[] model, OnnxClassifierOptions? options, Func<ModelProto, string, string, ModelProto> buildGradientGraph)
        : this(OnnxModelFile.Parse(model ?? throw new ArgumentNullException(nameof(model)), null), null, options, buildGradientGraph)
    {
    }

    private OnnxClassifier(ModelProto model, string? source, OnnxClassifierOptions? options,
        Func<ModelProto, string, string, ModelProto> buildGradientGraph)
    {
        _buildGradientGraph = buildGradientGraph;
        options ??= new OnnxClassifierOptions();
        ArgumentOutOfRangeException.ThrowIfNegative(options.IntraOpThreads, nameof(options.IntraOpThreads));
        _source = source;
        _prepared = OnnxModelPreparation.Prepare(model, options, source);
        if (_prepared.ClassCount > MaxClasses)
            throw new InvalidModelException($"The logits of {Describe()} declare {_prepared.ClassCount} classes, more than the {MaxClasses} supported.", source);
        _runOptions = new RunOptions();
        _warnings = _prepared.Warnings.ToList();
        InputShape = _prepared.InputShape;
        _forwardInputs = new[] { _prepared.InputName };
        _forwardOutputs = new[] { _prepared.LogitsName };

        _upgradeError = _prepared.UpgradeError;
        if (_prepared.Upgraded is { } upgraded)
        {
            // Run the opset-18 form, the graph the gradients extend; should ONNX Runtime reject it, the original still serves logits.
            try
            {
                (_sessionOptions, _forward, Device) = CreateForwardSession(upgraded.ToByteArray(), options);
            }
            catch (InvalidModelException e) when (e.InnerException is OnnxRuntimeException)
            {
                _upgradeError = new NotSupportedException($"ONNX Runtime rejected the opset-18 form of the model: {e.InnerException.Message}", e);
                (_sessionOptions, _forward, Device) = CreateForwardSession(_prepared.Model.ToByteArray(), options);
            }
        }
        else
        {
            (_sessionOptions, _forward, Device) = CreateForwardSession(_prepared.Model.ToByteArray(), options);
        }
        try
        {
            ClassCount = _prepared.ClassCount ?? ClassCountByRunning();
            if (ClassCount < 2)
                throw new InvalidModelException($"The logits of {Describe()} have {ClassCount} class(es); a classifier needs at least 2.", source);
            if (options.PrepareGradientsAtLoad) GradientSession();
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <inheritdoc />
    public ImageShape InputShape { get; }

    /// <inheritdoc />
    public int ClassCount { get; }

    /// <summary>The name of the image input of the model.</summary>
    public string InputName => _prepared.InputName;

    /// <summary>The name of the logits tensor returned (a Flatten of the chosen tensor when that was not 2-D).</summary>
    public string LogitsName => _prepared.LogitsName;

    /// <summary>Where the sessions actually run: the requested <see cref="OnnxClassifierOptions.Device"/>, or the CPU after a
    /// fallback from CUDA (<see cref="Warnings"/> says why).</summary>
    public ComputeDevice Device { get; }

    /// <summary>
    /// What the user should know about how the model was adapted: a softmax output accepted, a fixed batch
    /// made symbolic, a fallback from CUDA to the CPU (with the reason). Empty when nothing happened.
    /// </summary>
    public IReadOnlyList<string> Warnings => _warnings;

    /// <inheritdoc />
    /// <exception cref="InvalidOperationException">ONNX Runtime failed to run the model (a shape hard-coded in the graph, say); the inner exception has its message.</exception>
    public void ComputeLogits(ReadOnlySpan<float> images, int count, Span<float> logits)
    {
        ClassifierArguments.CheckLogits(this, images, count, logits);
        if (count == 0) return;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            unsafe
            {
                fixed (float* x = images)
                fixed (float* l = logits)
                {
                    using var input = Tensor(x, images.Length, count, InputShape.Channels, InputShape.Height, InputShape.Width);
                    using var output = Tensor(l, logits.Length, count, ClassCount);
                    try
                    {
                        _forward.Run(_runOptions, _forwardInputs, new[] { input }, _forwardOutputs, new[] { output });
                    }
                    catch (OnnxRuntimeException e)
                    {
                        throw RunFailed(e, count);
                    }
                }
            }
        }
    }

    /// <inheritdoc />
    /// <exception cref="NotSupportedException">
    /// The model contains an operator the gradient builder has no rule for (thrown on the first call, naming it). This stays a
    /// <see cref="NotSupportedException"/> rather than an <see cref="InvalidModelException"/>: the model is valid, the library lacks a rule.
    /// </exception>
    /// <exception cref="InvalidModelException">The graph is malformed in a way only the gradient builder notices.</exception>
    public void ComputeLogitsAndMarginGradients(
        ReadOnlySpan<float> images, int count, ReadOnlySpan<int> targetLabels, int targetsPerImage,
        Span<float> logits, Span<float> gradients)
    {
        ClassifierArguments.CheckMarginGradients(this, images, count, targetLabels, targetsPerImage, logits, gradients);
        if (count == 0) return;
        var targets = new long[targetLabels.Length];
        for (int i = 0; i < targets.Length; i++) targets[i] = targetLabels[i];
        lock (_gate) RunGradientModel(images, count, targets, targetsPerImage, logits, gradients, chosen: null);
    }

    /// <inheritdoc />
    /// <remarks>One run of the gradient model: it chooses the targets from its own logits (ONNX TopK's order, which is the
    /// seam's: ties rank the lower label first).</remarks>
    /// <exception cref="NotSupportedException">The model contains an operator the gradient builder has no rule for.</exception>
    /// <exception cref="InvalidModelException">The graph is malformed in a way only the gradient builder notices.</exception>
    public void ComputeLogitsAndRankedMarginGradients(ReadOnlySpan<float> images, int count, ReadOnlySpan<int> ranks,
        Span<float> logits, Span<int> targets, Span<float> gradients)
    {
        RankedTargets.Check(this, images, count, ranks, logits, targets, gradients);
        if (count == 0) return;
        long[] request = RankRequest(count, ranks);
        var chosen = new long[request.Length];
        lock (_gate) RunGradientModel(images, count, request, ranks.Length, logits, gradients, chosen);
        for (int i = 0; i < chosen.Length; i++) targets[i] = (int)chosen[i];
    }

    /// <summary>The gradient model's targets input asking, for each of <paramref name="count"/> images, for the labels at <paramref name="ranks"/>: −1 − rank.</summary>
    internal static long[] RankRequest(long count, ReadOnlySpan<int> ranks)
    {
        var request = new long[count * ranks.Length];
        for (int i = 0; i < request.Length; i++) request[i] = -1 - ranks[i % ranks.Length];
        return request;
    }

    /// <summary>Runs the gradient model; <paramref name="chosen"/>, when given, receives the targets it used.</summary>
    private void RunGradientModel(ReadOnlySpan<float> images, int count, long[] targets, int targetsPerImage,
        Span<float> logits, Span<float> gradients, long[]? chosen)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        InferenceSession session = GradientSession();
        unsafe
        {
            fixed (float* x = images)
            fixed (long* t = targets)
            fixed (long* c = chosen)
            fixed (float* l = logits)
            fixed (float* g = gradients)
            {
                long[] targetShape = { count, targetsPerImage };
                using var input = Tensor(x, images.Length, count, InputShape.Channels, InputShape.Height, InputShape.Width);
                using var targetValue = OrtValue.CreateTensorValueWithData(OrtMemoryInfo.DefaultInstance, TensorElementType.Int64,
                    targetShape, (IntPtr)t, (long)targets.Length * sizeof(long));
                using var logitsValue = Tensor(l, logits.Length, count, ClassCount);
                using var gradientValue = Tensor(g, gradients.Length,
                    count, targetsPerImage, InputShape.Channels, InputShape.Height, InputShape.Width);
                using var chosenValue = chosen is null ? null : OrtValue.CreateTensorValueWithData(OrtMemoryInfo.DefaultInstance,
                    TensorElementType.Int64, targetShape, (IntPtr)c, (long)chosen.Length * sizeof(long));
                string[] outputNames = chosenValue is null ? _gradientOutputs! : [.. _gradientOutputs!, MarginGradientGraph.ChosenTargetsOutput];
                OrtValue[] outputs = chosenValue is null ? [logitsValue, gradientValue] : [logitsValue, gradientValue, chosenValue];
                try
                {
                    session.Run(_runOptions, _gradientInputs!, new[] { input, targetValue }, outputNames, outputs);
                }
                catch (OnnxRuntimeException e)
                {
                    throw RunFailed(e, count, " (gradient model)");
                }
            }
        }
    }

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

    /// <summary>
    /// Runs the forward model (inputs: images; outputs: logits) or, with <paramref name="gradients"/>, the gradient model
    /// (inputs: images, targets; outputs: logits, gradients and, with <paramref name="chosenTargets"/>, the targets it chose)
    /// with its inputs and outputs bound to memory the caller owns, on the host or the session's GPU, without copies.
    /// <paramref name="beforeRun"/> runs under the classifier's lock just before ONNX Runtime reads the inputs (a device's
    /// pending work must be complete by then). This is the TorchSharp package's tensor form of this classifier.
    /// </summary>
    internal void RunBound(bool gradients, bool chosenTargets, OrtValue[] inputs, OrtValue[] outputs, int count, Action? beforeRun)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            InferenceSession session = gradients ? GradientSession() : _forward;
            string[] inputNames = gradients ? _gradientInputs! : _forwardInputs;
            string[] outputNames = !gradients ? _forwardOutputs
                : chosenTargets ? [.. _gradientOutputs!, MarginGradientGraph.ChosenTargetsOutput] : _gradientOutputs!;
            using OrtIoBinding binding = session.CreateIoBinding();
            try
            {
                for (int i = 0; i < inputs.Length; i++) binding.BindInput(inputNames[i], inputs[i]);
                for (int i = 0; i < outputs.Length; i++) binding.BindOutput(outputNames[i], outputs[i]);
                beforeRun?.Invoke();
                binding.SynchronizeBoundInputs();
                session.RunWithBinding(_runOptions, binding);
                binding.SynchronizeBoundOutputs();
            }
            catch (OnnxRuntimeException e)
            {
                throw RunFailed(e, count, gradients ? " (gradient model)" : "");
            }
        }
    }

    private InvalidOperationException RunFailed(OnnxRuntimeException e, int count, string which = "") =>
        new($"ONNX Runtime failed to run {Describe()}{which} on a batch of {count}: {e.Message}" +
            (count > 1 ? " If the graph hard-codes a batch size (a Reshape to [1, …], say), it can only take one image per call." : ""), e);

    private static unsafe OrtValue Tensor(float* data, int length, params long[] shape) =>
        OrtValue.CreateTensorValueWithData(OrtMemoryInfo.DefaultInstance, TensorElementType.Float, shape, (IntPtr)data,
            (long)length * sizeof(float));

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

    private int ClassCountByRunning()
    {
        var image = new float[InputShape.Size];
        using var input = OrtValue.CreateTensorValueFromMemory(image,
            new long[] { 1, InputShape.Channels, InputShape.Height, InputShape.Width });
        long[] shape;
        try
        {
            using var outputs = _forward.Run(_runOptions, _forwardInputs, new[] { input }, _forwardOutputs);
            shape = outputs[0].GetTensorTypeAndShape().Shape;
        }
        catch (OnnxRuntimeException e)
        {
            throw new InvalidModelException($"ONNX Runtime failed to run {Describe()} on one blank image to find the class count: {e.Message}", _source, e);
        }
        if (shape.Length != 2 || shape[0] != 1 || shape[1] > MaxClasses)
            throw new InvalidModelException(
                $"The logits of {Describe()} have shape [{string.Join(", ", shape)}] for one image; expected [1, L] with L ≤ {MaxClasses}.", _source);
        return (int)shape[1];
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
        // pattern recorded for one shape only costs a second large allocation (measured on MNIST-A's gradient model,
        // batches shrinking from 256: the second call 3.3 s with it, 0.84 s without; later calls ~15 % faster without).
        var sessionOptions = new SessionOptions { LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR, EnableMemoryPattern = false };
        if (options.IntraOpThreads > 0) sessionOptions.IntraOpNumThreads = options.IntraOpThreads;
        return sessionOptions;
    }

    private string Describe() => _source is null ? "the ONNX model" : $"ONNX model '{_source}'";

    /// <summary>Releases the ONNX Runtime sessions.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
            _gradient?.Dispose();
            _forward?.Dispose();
            _sessionOptions?.Dispose();
            _runOptions?.Dispose();
        }
    }
}
