namespace Adef.MLNet.Training;

/// <summary>Options of <see cref="ClassifierTrainer"/>. Defaults are the ADef paper's MNIST settings.</summary>
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

    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(Epochs, 0, nameof(Epochs));
        ArgumentOutOfRangeException.ThrowIfLessThan(BatchSize, 1, nameof(BatchSize));
        if (FinalEpochsAtTenthRate < 0 || FinalEpochsAtTenthRate > Epochs)
            throw new ArgumentOutOfRangeException(nameof(FinalEpochsAtTenthRate), FinalEpochsAtTenthRate, $"Must lie in [0, Epochs = {Epochs}].");
        if (!(LearningRate > 0) || double.IsInfinity(LearningRate))
            throw new ArgumentOutOfRangeException(nameof(LearningRate), LearningRate, "The learning rate must be positive and finite.");
    }
}
