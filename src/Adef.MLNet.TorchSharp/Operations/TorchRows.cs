using static TorchSharp.torch;

namespace Adef.MLNet.Attacks.Operations;

/// <summary>Rows as one N×P×H×W float32 tensor on the operations' device, owned (detached from any dispose scope).</summary>
internal sealed class TorchRows : IRows
{
    public TorchRows(Tensor tensor)
    {
        Tensor = tensor.DetachFromDisposeScope();
        Count = (int)tensor.shape[0];
        Planes = (int)tensor.shape[1];
    }

    public Tensor Tensor { get; }

    public int Count { get; }

    public int Planes { get; }

    public void Dispose() => Tensor.Dispose();
}
