using Adef.MLNet.Classifiers;
using TorchSharp;
using static TorchSharp.torch;

namespace Adef.MLNet.Attacks.Operations;

/// <summary>
/// Turns TF32 off in cuBLAS and cuDNN for the duration of an attack on a CUDA <see cref="ITensorClassifier"/>
/// (TorchSharp enables cuDNN TF32 by default, and TF32's 10-bit mantissa changes ADef's trajectories), and restores
/// the previous settings afterwards. These are process-wide libtorch settings; does nothing for other classifiers.
/// </summary>
internal sealed class Tf32Scope : IDisposable
{
    private readonly bool _matmul;
    private readonly bool _cudnn;

    private Tf32Scope(bool allow)
    {
        _matmul = backends.cuda.matmul.allow_tf32;
        _cudnn = backends.cudnn.allow_tf32;
        backends.cuda.matmul.allow_tf32 = allow;
        backends.cudnn.allow_tf32 = allow;
    }

    /// <summary>
    /// Sets TF32 to <paramref name="allow"/> when <paramref name="classifier"/> is a TorchSharp model on CUDA; otherwise returns null
    /// (ONNX Runtime's CUDA provider has its own switch, <see cref="Classifiers.Onnx.OnnxClassifierOptions.AllowTf32"/>).
    /// </summary>
    public static Tf32Scope? Enter(IDifferentiableClassifier classifier, bool allow) =>
        classifier is not Classifiers.Onnx.OnnxClassifier && classifier is ITensorClassifier { Device.type: DeviceType.CUDA } ? new Tf32Scope(allow) : null;

    public void Dispose()
    {
        backends.cuda.matmul.allow_tf32 = _matmul;
        backends.cudnn.allow_tf32 = _cudnn;
    }
}
