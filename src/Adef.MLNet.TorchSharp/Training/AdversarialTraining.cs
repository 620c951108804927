namespace Adef.MLNet.Training;

/// <summary>What <see cref="ClassifierTrainer"/> trains on (Madry et al.: each minibatch is replaced by adversarial examples crafted against the current model).</summary>
public enum AdversarialTraining
{
    /// <summary>Clean training on the images as given.</summary>
    None,

    /// <summary>Each minibatch is replaced by <see cref="Attacks.PgdAttack"/> examples (<see cref="TrainingOptions.Pgd"/>).</summary>
    Pgd,

    /// <summary>Each minibatch is replaced by <see cref="Attacks.AdefAttack"/> deformations (<see cref="TrainingOptions.Adef"/>).</summary>
    Adef,
}
