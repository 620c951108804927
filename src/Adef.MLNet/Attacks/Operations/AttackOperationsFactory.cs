using Adef.MLNet.Classifiers;

namespace Adef.MLNet.Attacks.Operations;

/// <summary>Chooses the operations an attack runs over (see <see cref="AttackExecution"/>).</summary>
internal static class AttackOperationsFactory
{
    public static AttackOperations Create(IDifferentiableClassifier classifier, AttackExecution execution) => execution switch
    {
        AttackExecution.Host => new HostOperations(classifier),
        AttackExecution.ClassifierDevice => classifier is IDeviceResidentClassifier resident
            ? resident.CreateAttackOperations()
            : throw new ArgumentException(
                $"AttackExecution.ClassifierDevice needs a classifier that implements IDeviceResidentClassifier (the TorchSharp package's " +
                $"classifiers do); {classifier.GetType().Name} only has the span seam. Use AttackExecution.Auto or Host.", nameof(execution)),
        AttackExecution.Auto => classifier.Device.IsGpu && classifier is IDeviceResidentClassifier resident
            ? resident.CreateAttackOperations()
            : new HostOperations(classifier),
        _ => throw new ArgumentOutOfRangeException(nameof(execution), execution, "Unknown AttackExecution."),
    };
}
