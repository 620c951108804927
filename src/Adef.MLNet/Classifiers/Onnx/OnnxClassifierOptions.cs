namespace Adef.MLNet.Classifiers.Onnx;

/// <summary>Options of <see cref="OnnxClassifier"/>. Every property has a default that suits most image classifiers.</summary>
public sealed class OnnxClassifierOptions
{
    /// <summary>
    /// Name of the model input that receives the N×C×H×W float32 images. Default <see langword="null"/>: the
    /// model's single float input that is not an initializer (an error lists the candidates if there are several).
    /// </summary>
    public string? InputName { get; set; }

    /// <summary>
    /// Name of the tensor that holds the logits (N×L, or N×L×1×1). It may be a graph output or any
    /// intermediate tensor of the graph. Default <see langword="null"/>: the model's single output if it has
    /// one; if it has several, the single one that is not produced by Softmax or LogSoftmax.
    /// </summary>
    public string? LogitsOutputName { get; set; }

    /// <summary>
    /// Accept a logits tensor produced by Softmax or LogSoftmax. Default <see langword="false"/>: such an
    /// output is refused with an error that names the tensor feeding the softmax, because attacks on
    /// probabilities behave differently from attacks on logits (ADef and DeepFool are defined on logits).
    /// When <see langword="true"/>, the classifier accepts it and records a warning in
    /// <see cref="OnnxClassifier.Warnings"/>.
    /// </summary>
    public bool AllowSoftmaxOutput { get; set; }

    /// <summary>
    /// Where ONNX Runtime runs the model: <c>cpu</c> (the default) is its CPU execution provider; <c>cuda</c> and
    /// <c>cuda:N</c> are the CUDA execution provider on GPU 0 or N, which needs the application to reference the GPU build of
    /// ONNX Runtime (<c>Microsoft.ML.OnnxRuntime.Gpu</c>) and a matching CUDA and cuDNN.
    /// </summary>
    public ComputeDevice Device { get; set; } = ComputeDevice.Cpu;

    /// <summary>
    /// When the CUDA execution provider cannot be used, run on the CPU and record why in
    /// <see cref="OnnxClassifier.Warnings"/>. Default <see langword="true"/>; when <see langword="false"/>, the
    /// constructor throws an <see cref="DeviceUnavailableException"/> that says what was tried and what failed.
    /// </summary>
    public bool FallbackToCpu { get; set; } = true;

    /// <summary>
    /// Threads ONNX Runtime uses inside one operator (<c>SessionOptions.IntraOpNumThreads</c>). Default 0:
    /// ONNX Runtime's own default (one per physical core).
    /// </summary>
    public int IntraOpThreads { get; set; }

    /// <summary>
    /// Build the gradient model when the classifier is created, so that an operator without a gradient
    /// rule is reported at load (naming the operator and its node) rather than at the first attack.
    /// Default true; set false to score a model whose gradients are unsupported (logits only).
    /// </summary>
    public bool PrepareGradientsAtLoad { get; set; } = true;

    /// <summary>
    /// Let ONNX Runtime's CUDA provider use TF32 (its <c>use_tf32</c> option). Default <see langword="false"/>: full fp32, as
    /// the attacks on TorchSharp models, because TF32 changes ADef's trajectories. Ignored on the CPU.
    /// </summary>
    public bool AllowTf32 { get; set; }

    /// <summary>
    /// How 8-bit pixels become the model's input: channel order, scale, per-channel mean and std (for example Caffe's BGR
    /// with mean (104, 117, 123) at scale 255, or torchvision's RGB with the ImageNet mean and std at scale 1). Default
    /// <see langword="null"/>: unknown. The classifier reports it as <see cref="OnnxClassifier.InputPreprocessing"/>; its
    /// channel count must match the model's input.
    /// </summary>
    public Data.ImagePreprocessing? InputPreprocessing { get; set; }

    /// <summary>A copy of these options.</summary>
    internal OnnxClassifierOptions Clone() => (OnnxClassifierOptions)MemberwiseClone();
}
