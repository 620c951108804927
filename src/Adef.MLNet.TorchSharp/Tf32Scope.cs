using TorchSharp;
using static TorchSharp.torch;

namespace Adef.MLNet.Classifiers.TorchSharp;

/// <summary>
/// Sets whether cuBLAS and cuDNN may use TF32 for the duration of a scope, and restores the previous settings when it ends.
/// TorchSharp enables cuDNN TF32 by default, and TF32's 10-bit mantissa changes ADef's trajectories, so attacks run in
/// full fp32 unless the classifier was told otherwise (<see cref="TorchSharpClassifier.AllowTf32"/>). These are
/// process-wide libtorch settings; scopes nest.
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

    /// <summary>Sets TF32 to <paramref name="allow"/> when <paramref name="device"/> is a GPU; otherwise returns null (the CPU has no TF32).</summary>
    public static Tf32Scope? Enter(Device device, bool allow) => device.type == DeviceType.CUDA ? new Tf32Scope(allow) : null;

    public void Dispose()
    {
        backends.cuda.matmul.allow_tf32 = _matmul;
        backends.cudnn.allow_tf32 = _cudnn;
    }
}
