namespace Adef.MLNet.Training;

/// <summary>Progress of a training run, reported after every optimiser step.</summary>
/// <param name="Epoch">Zero-based epoch.</param>
/// <param name="Epochs">Total epochs of the run.</param>
/// <param name="Step">Steps done in this epoch.</param>
/// <param name="StepsPerEpoch">Steps per epoch.</param>
/// <param name="MeanLoss">Mean cross-entropy of the steps done in this epoch (on the adversarial batches when training adversarially).</param>
/// <param name="FooledFraction">
/// Adversarial training: the fraction of this step's batch that the model (before the step) misclassifies after
/// crafting (attack succeeded, or the clean image was already wrong). NaN for clean training.
/// </param>
public readonly record struct TrainingProgress(int Epoch, int Epochs, int Step, int StepsPerEpoch, double MeanLoss,
    double FooledFraction = double.NaN);
