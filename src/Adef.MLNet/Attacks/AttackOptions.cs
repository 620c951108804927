namespace Adef.MLNet.Attacks;

/// <summary>
/// The options every batched attack shares: how many images go to the classifier at once and where the per-iteration work
/// runs. <see cref="AdefOptions"/>, <see cref="DeepFoolOptions"/> and <see cref="PgdOptions"/> add their algorithms' own.
/// Numerical precision (TF32 on a GPU) is the classifier's setting, since the classifier does the arithmetic that it changes.
/// </summary>
public abstract record AttackOptions
{
    private protected AttackOptions()
    {
    }

    /// <summary>Most images sent to the classifier in one call; finished images are replaced by waiting ones. Default 256.</summary>
    public int BatchSize { get; init; } = 256;

    /// <summary>
    /// Where the per-iteration work (PGD: per-step) runs. Default <see cref="AttackExecution.Auto"/>: on the classifier's GPU
    /// when it supplies operations there (<see cref="Classifiers.IDeviceResidentClassifier"/>: images, fields and gradients
    /// stay on the GPU), on the host otherwise.
    /// </summary>
    public AttackExecution Execution { get; init; } = AttackExecution.Auto;

    /// <summary>
    /// Whether the attack returns images of the valid pixel grid. Default false: images stay in the model's float input space,
    /// where many adversarials, saved as 8-bit files, stop fooling. When true, every attacked image is mapped to 8-bit pixels
    /// and back through the classifier's <see cref="Classifiers.IDifferentiableClassifier.InputPreprocessing"/> (bounds and
    /// rounding; <see cref="Data.ImagePreprocessing.Denormalize(ReadOnlySpan{float})"/> then
    /// <see cref="Data.ImagePreprocessing.Normalize"/>) and classified again: an image whose rounded form no longer fools
    /// gets a grown deformation (ADef: τ scaled up within <see cref="AdefOptions.MaxNorm"/>) or perturbation (DeepFool), re-rounded
    /// and re-checked, and ends <see cref="AttackOutcome.LostToRounding"/> if none holds; PGD rounds inside its projection, so
    /// every iterate is a valid image. <see cref="AttackResult.FoolsAfterRounding"/> reports the check. The classifier must
    /// state its preprocessing (the attack's constructor throws <see cref="ArgumentException"/> otherwise).
    /// </summary>
    public bool ValidImages { get; init; }

    /// <summary>Checks the shared options; each attack's options call it from their own validation.</summary>
    private protected void ValidateBatching()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(BatchSize, 1, nameof(BatchSize));
        if (!Enum.IsDefined(Execution))
            throw new ArgumentOutOfRangeException(nameof(Execution), Execution, "Unknown AttackExecution.");
    }
}
