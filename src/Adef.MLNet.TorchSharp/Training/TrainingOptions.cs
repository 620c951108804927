using Adef.MLNet.Attacks;

namespace Adef.MLNet.Training;

/// <summary>Options of <see cref="ClassifierTrainer"/>. Defaults are the ADef paper's MNIST settings (clean training).</summary>
public sealed class TrainingOptions
{
    /// <summary>Number of passes over the training set. Default 10.</summary>
    public int Epochs { get; set; } = 10;

    /// <summary>Images per optimiser step. Default 50.</summary>
    public int BatchSize { get; set; } = 50;

    /// <summary>Adam learning rate. Default 1e−4.</summary>
    public double LearningRate { get; set; } = 1e-4;

    /// <summary>
    /// Number of final epochs trained at a tenth of <see cref="LearningRate"/> (Adam's moments restart
    /// when the rate drops). Default 0: the paper's constant rate.
    /// </summary>
    public int FinalEpochsAtTenthRate { get; set; }

    /// <summary>The learning rate of zero-based epoch <paramref name="epoch"/>.</summary>
    public double LearningRateAt(int epoch) => epoch >= Epochs - FinalEpochsAtTenthRate ? LearningRate / 10 : LearningRate;

    /// <summary>Seed of the shuffling order (epoch e uses <c>Seed + e</c>). Default 0.</summary>
    public int Seed { get; set; }

    /// <summary>
    /// Images drawn per epoch (the first ones of the epoch's shuffled order), or <see langword="null"/> for the whole
    /// training set (the default). Lets a short run, such as adversarial fine-tuning, see fresh images every epoch.
    /// </summary>
    public int? ImagesPerEpoch { get; set; }

    /// <summary>
    /// Whether each minibatch is replaced by adversarial examples crafted against the current model before the
    /// optimiser step (Madry et al.). Default <see cref="Training.AdversarialTraining.None"/>.
    /// </summary>
    public AdversarialTraining AdversarialTraining { get; set; }

    /// <summary>
    /// The PGD attack of <see cref="Training.AdversarialTraining.Pgd"/> training; default <see cref="PgdOptions"/>'s
    /// defaults (ε 0.3, 40 steps of 0.01, random start, pixels clipped to [0, 1]). Its seed is offset per step.
    /// </summary>
    public PgdOptions Pgd { get; set; } = new();

    /// <summary>
    /// The ADef attack of <see cref="Training.AdversarialTraining.Adef"/> training; default
    /// <see cref="AdefOptions.AdversarialTraining"/> (candidates {1}, 40 iterations, ‖τ‖_T ≤ 3 px, σ 1, overshoot 1).
    /// </summary>
    public AdefOptions Adef { get; set; } = AdefOptions.AdversarialTraining;

    internal void Validate()
    {
        if (ImagesPerEpoch is { } perEpoch) ArgumentOutOfRangeException.ThrowIfLessThan(perEpoch, 1, nameof(ImagesPerEpoch));
        if (!Enum.IsDefined(AdversarialTraining))
            throw new ArgumentOutOfRangeException(nameof(AdversarialTraining), AdversarialTraining, "Unknown adversarial training method.");
        if (Pgd is null) throw new ArgumentNullException(nameof(Pgd), "Pgd options are required (use new PgdOptions() for the defaults).");
        if (Adef is null) throw new ArgumentNullException(nameof(Adef), "Adef options are required (e.g. AdefOptions.AdversarialTraining).");
        Pgd.Validate();
        ArgumentOutOfRangeException.ThrowIfLessThan(Epochs, 0, nameof(Epochs));
        ArgumentOutOfRangeException.ThrowIfLessThan(BatchSize, 1, nameof(BatchSize));
        if (FinalEpochsAtTenthRate < 0 || FinalEpochsAtTenthRate > Epochs)
            throw new ArgumentOutOfRangeException(nameof(FinalEpochsAtTenthRate), FinalEpochsAtTenthRate, $"Must lie in [0, Epochs = {Epochs}].");
        if (!(LearningRate > 0) || double.IsInfinity(LearningRate))
            throw new ArgumentOutOfRangeException(nameof(LearningRate), LearningRate, "The learning rate must be positive and finite.");
    }
}
