using Adef.MLNet.Classifiers;
using TorchSharp;

namespace Adef.MLNet.Attacks.Operations;

/// <summary>Chooses the operations an attack runs over (see <see cref="AttackExecution"/>).</summary>
internal static class BatchOperationsFactory
{
    public static IBatchOperations Create(IDifferentiableClassifier classifier, AttackExecution execution) => execution switch
    {
        AttackExecution.HostSpans => new HostOperations(classifier),
        AttackExecution.ClassifierTensors => classifier is ITensorClassifier tensors
            ? new TorchOperations(tensors)
            : throw new ArgumentException(
                $"AttackExecution.ClassifierTensors needs a classifier that implements ITensorClassifier (TorchSharpClassifier does); " +
                $"{classifier.GetType().Name} only has the span seam. Use AttackExecution.Auto or HostSpans.", nameof(execution)),
        AttackExecution.Auto => classifier is ITensorClassifier tensors && tensors.Device.type != DeviceType.CPU
            ? new TorchOperations(tensors)
            : new HostOperations(classifier),
        _ => throw new ArgumentOutOfRangeException(nameof(execution), execution, "Unknown AttackExecution."),
    };
}
