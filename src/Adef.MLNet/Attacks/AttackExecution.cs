namespace Adef.MLNet.Attacks;

/// <summary>Where an attack's per-iteration work (warps, image gradients, smoothing, norms, steps) runs.</summary>
public enum AttackExecution
{
    /// <summary>
    /// <see cref="ClassifierTensors"/> when the classifier is an <see cref="Classifiers.ITensorClassifier"/> on a GPU,
    /// so images, fields and gradients never leave the device; <see cref="HostSpans"/> otherwise (the fastest choice on a CPU).
    /// </summary>
    Auto,

    /// <summary>Host arrays and the span kernels of <c>Adef.MLNet.Imaging</c>, in parallel over images; the numbers ALGORITHMS.md specifies, bit for bit.</summary>
    HostSpans,

    /// <summary>
    /// Torch tensors on the classifier's device (CPU or CUDA); needs an <see cref="Classifiers.ITensorClassifier"/>.
    /// Agrees with <see cref="HostSpans"/> to float rounding (reductions and convolutions may sum in another order).
    /// </summary>
    ClassifierTensors,
}
