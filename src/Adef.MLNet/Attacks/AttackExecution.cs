namespace Adef.MLNet.Attacks;

/// <summary>
/// Where an attack's own per-iteration work (warps, image gradients, smoothing, norms, steps) runs, relative to the
/// classifier's <see cref="Classifiers.IDifferentiableClassifier.Device"/>.
/// </summary>
public enum AttackExecution
{
    /// <summary>
    /// <see cref="ClassifierDevice"/> when the classifier runs on a GPU and is an <see cref="Classifiers.IDeviceResidentClassifier"/>,
    /// so images, fields and gradients never leave the GPU; <see cref="Host"/> otherwise (the fastest choice on a CPU).
    /// </summary>
    Auto,

    /// <summary>Host arrays and the span kernels of <c>Adef.MLNet.Imaging</c>, in parallel over images: the numbers
    /// docs/algorithms.md specifies, bit for bit.</summary>
    Host,

    /// <summary>
    /// On the classifier's device, with the operations it supplies; needs an <see cref="Classifiers.IDeviceResidentClassifier"/>.
    /// Agrees with <see cref="Host"/> to float rounding (reductions and convolutions may sum in another order).
    /// </summary>
    ClassifierDevice,
}
