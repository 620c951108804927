namespace Adef.MLNet.Attacks;

/// <summary>
/// The options every batched attack shares: how many images go to the classifier at once, where the per-iteration work
/// runs, and whether a CUDA TorchSharp classifier may use TF32. <see cref="AdefOptions"/>, <see cref="DeepFoolOptions"/>
/// and <see cref="PgdOptions"/> add their algorithms' own.
/// </summary>
public abstract record AttackOptions
{
    private protected AttackOptions()
    {
    }

    /// <summary>Most images sent to the classifier in one call; finished images are replaced by waiting ones. Default 256.</summary>
    public int BatchSize { get; init; } = 256;

    /// <summary>
    /// Where the per-iteration work (PGD: per-step) runs. Default <see cref="AttackExecution.Auto"/>: on the classifier's GPU for
    /// a CUDA <see cref="Classifiers.ITensorClassifier"/> (images, fields and gradients stay there), host spans otherwise.
    /// </summary>
    public AttackExecution Execution { get; init; } = AttackExecution.Auto;

    /// <summary>
    /// Let cuBLAS and cuDNN use TF32 (a 10-bit mantissa) while attacking a CUDA TorchSharp classifier. Default
    /// <see langword="false"/>: attacks run in full fp32, because TF32 changes their trajectories (ADef on MNIST-A on an
    /// H200: mean iterations 7.8 against 6.43 in fp32). The previous settings are restored when the attack returns.
    /// </summary>
    public bool AllowTf32 { get; init; }

    /// <summary>Checks the shared options; each attack's options call it from their own validation.</summary>
    private protected void ValidateBatching()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(BatchSize, 1, nameof(BatchSize));
        if (!Enum.IsDefined(Execution))
            throw new ArgumentOutOfRangeException(nameof(Execution), Execution, "Unknown AttackExecution.");
    }
}
