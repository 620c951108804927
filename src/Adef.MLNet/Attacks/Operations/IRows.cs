namespace Adef.MLNet.Attacks.Operations;

/// <summary>
/// A batch of <see cref="Count"/> rows, each <see cref="Planes"/> planes of H×W floats, stored where its
/// <see cref="AttackOperations"/> computes (host arrays or device tensors). Disposing releases the storage.
/// </summary>
internal interface IRows : IDisposable
{
    /// <summary>Number of rows n (images, fields, …).</summary>
    int Count { get; }

    /// <summary>Planes per row (C for images, 2 for fields, K·C for K gradients of one image).</summary>
    int Planes { get; }
}
