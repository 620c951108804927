namespace Adef.MLNet.Attacks;

/// <summary>Options of DeepFool (Moosavi-Dezfooli, Fawzi, Frossard, CVPR 2016). Values are in the classifier's input units.</summary>
public sealed record DeepFoolOptions
{
    /// <summary>The norm to minimise. Default <see cref="DeepFoolNorm.L2"/>.</summary>
    public DeepFoolNorm Norm { get; init; } = DeepFoolNorm.L2;

    /// <summary>Candidate labels: the top-k labels of the clean logits (capped at L), fixed. Default 10; at least 2.</summary>
    public int Candidates { get; init; } = 10;

    /// <summary>Iteration limit. Default 50.</summary>
    public int MaxIterations { get; init; } = 50;

    /// <summary>The accumulated perturbation r is applied as (1 + Overshoot)·r. Default 0.02.</summary>
    public double Overshoot { get; init; } = 0.02;

    /// <summary>Lower bound of valid input values, or <see langword="null"/> for none (the default: inputs may be normalised).</summary>
    public float? ClipMin { get; init; }

    /// <summary>Upper bound of valid input values, or <see langword="null"/> for none (the default).</summary>
    public float? ClipMax { get; init; }

    /// <summary>Most images sent to the classifier in one call; finished images are replaced by waiting ones. Default 256.</summary>
    public int BatchSize { get; init; } = 256;

    /// <summary>
    /// Where the per-iteration work runs. Default <see cref="AttackExecution.Auto"/>: on the classifier's GPU for a
    /// CUDA <see cref="Classifiers.ITensorClassifier"/> (images, fields and gradients stay there), host spans otherwise.
    /// </summary>
    public AttackExecution Execution { get; init; } = AttackExecution.Auto;

    /// <summary>
    /// Let cuBLAS and cuDNN use TF32 (a 10-bit mantissa) while attacking a CUDA TorchSharp classifier. Default
    /// <see langword="false"/>: attacks run in full fp32, because TF32 changes ADef's trajectories (on an H200, mean
    /// iterations 7.8 against 6.43 in fp32 on MNIST-A). The previous settings are restored when the attack returns.
    /// </summary>
    public bool AllowTf32 { get; init; }

    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(Candidates, 2, nameof(Candidates));
        ArgumentOutOfRangeException.ThrowIfNegative(MaxIterations, nameof(MaxIterations));
        if (!(Overshoot >= 0) || double.IsInfinity(Overshoot))
            throw new ArgumentOutOfRangeException(nameof(Overshoot), Overshoot, "Overshoot must be a finite number ≥ 0.");
        if (ClipMin is { } low && float.IsNaN(low))
            throw new ArgumentOutOfRangeException(nameof(ClipMin), low, "ClipMin must be a number (or null for no bound).");
        if (ClipMax is { } high && float.IsNaN(high))
            throw new ArgumentOutOfRangeException(nameof(ClipMax), high, "ClipMax must be a number (or null for no bound).");
        if (ClipMin is { } min && ClipMax is { } max && !(min < max))
            throw new ArgumentException($"ClipMin ({min}) must be smaller than ClipMax ({max}).", nameof(ClipMin));
        ArgumentOutOfRangeException.ThrowIfLessThan(BatchSize, 1, nameof(BatchSize));
        if (!Enum.IsDefined(Execution))
            throw new ArgumentOutOfRangeException(nameof(Execution), Execution, "Unknown AttackExecution.");
    }
}
