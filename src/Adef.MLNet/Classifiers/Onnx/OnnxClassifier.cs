using Adef.MLNet.Classifiers.Onnx.Gradients;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
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
public sealed partial class OnnxClassifier : IDifferentiableClassifier, IDisposable
{
    // The sessions (creation, execution provider, the gradient model) are in OnnxClassifier.Sessions.cs; the runs
    // (span and bound) in OnnxClassifier.Runs.cs.
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
        InputShape = _prepared.InputShape;
        InputPreprocessing = options.InputPreprocessing;
        _runOptions = new RunOptions();
        _warnings = _prepared.Warnings.ToList();
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

    /// <summary>
    /// How 8-bit pixels become the model's input (<see cref="OnnxClassifierOptions.InputPreprocessing"/> at first), or
    /// <see langword="null"/> when unknown. Settable for applications that learn it after loading the model (from its
    /// input shape, say); its channel count must match <see cref="InputShape"/>.
    /// </summary>
    /// <exception cref="ArgumentException">The preprocessing fills another number of channels than the model takes.</exception>
    public Data.ImagePreprocessing? InputPreprocessing
    {
        get => _inputPreprocessing;
        set
        {
            value?.RequireChannels(InputShape.Channels, Describe(), nameof(InputPreprocessing));
            _inputPreprocessing = value;
        }
    }

    private Data.ImagePreprocessing? _inputPreprocessing;

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
