using Adef.MLNet.Classifiers;
using Adef.MLNet.Classifiers.Onnx;
using TorchSharp;

namespace Adef.MLNet.Attacks.Operations;

/// <summary>Chooses the operations an attack runs over (see <see cref="AttackExecution"/>).</summary>
internal static class BatchOperationsFactory
{
    /// <summary>
    /// Whether <paramref name="classifier"/> is a tensor classifier whose tensors live on a GPU. An ONNX classifier on the
    /// CPU provider is answered without touching libtorch, so ONNX-only attacks never load it.
    /// </summary>
    public static bool IsOnGpu(IDifferentiableClassifier classifier) => classifier switch
    {
        OnnxClassifier onnx => onnx.ExecutionProvider == OnnxExecutionProvider.Cuda && onnx.Device.type == DeviceType.CUDA,
        ITensorClassifier tensors => tensors.Device.type != DeviceType.CPU,
        _ => false,
    };

    public static IBatchOperations Create(IDifferentiableClassifier classifier, AttackExecution execution) => execution switch
    {
        AttackExecution.HostSpans => new HostOperations(classifier),
        AttackExecution.ClassifierTensors => classifier is ITensorClassifier tensors
            ? new TorchOperations(tensors)
            : throw new ArgumentException(
                $"AttackExecution.ClassifierTensors needs a classifier that implements ITensorClassifier (TorchSharpClassifier does); " +
                $"{classifier.GetType().Name} only has the span seam. Use AttackExecution.Auto or HostSpans.", nameof(execution)),
        AttackExecution.Auto => IsOnGpu(classifier) ? new TorchOperations((ITensorClassifier)classifier) : new HostOperations(classifier),
        _ => throw new ArgumentOutOfRangeException(nameof(execution), execution, "Unknown AttackExecution."),
    };
}
