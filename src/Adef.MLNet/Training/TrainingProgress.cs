namespace Adef.MLNet.Training;

/// <summary>Progress of a training run, reported after every optimiser step.</summary>
/// <param name="Epoch">Zero-based epoch.</param>
/// <param name="Epochs">Total epochs of the run.</param>
/// <param name="Step">Steps done in this epoch.</param>
/// <param name="StepsPerEpoch">Steps per epoch.</param>
/// <param name="MeanLoss">Mean cross-entropy of the steps done in this epoch.</param>
public readonly record struct TrainingProgress(int Epoch, int Epochs, int Step, int StepsPerEpoch, double MeanLoss);
