using Adef.MLNet.Classifiers;
using Adef.MLNet.Classifiers.Onnx;
using TorchSharp;

namespace Adef.MLNet.MLNet;

/// <summary>Applies and checks <see cref="AttackTransformOptions.Device"/>.</summary>
internal static class TransformDevice
{
    /// <summary>The ONNX options with the device's execution provider (a copy; the caller's options are not changed).</summary>
    public static OnnxClassifierOptions? Apply(OnnxClassifierOptions? options, AttackDevice? device)
    {
        if (device is null) return options;
        OnnxClassifierOptions copy = options?.Clone() ?? new OnnxClassifierOptions();
        copy.Device = device.Value;
        return copy;
    }

    /// <summary>Throws unless <paramref name="classifier"/> runs on <paramref name="device"/> (when one is asked for).</summary>
    public static void Check(IDifferentiableClassifier classifier, AttackDevice? device)
    {
        ArgumentNullException.ThrowIfNull(classifier);
        if (device is not { } wanted) return;
        AttackDevice actual = classifier switch
        {
            ITensorClassifier tensors => tensors.Device.type == DeviceType.CUDA
                ? (tensors.Device.index >= 0 ? AttackDevice.CudaAt(tensors.Device.index) : AttackDevice.Cuda)
                : tensors.Device.type == DeviceType.CPU && classifier is not OnnxClassifier ? AttackDevice.Cpu
                : classifier is OnnxClassifier onnx ? (onnx.ExecutionProvider == OnnxExecutionProvider.Cpu ? AttackDevice.Cpu : AttackDevice.Cuda)
                : throw new ArgumentException($"The classifier runs on {tensors.Device}, which is neither cpu nor cuda.", nameof(classifier)),
            _ => AttackDevice.Cpu,
        };
        bool same = actual.Kind == wanted.Kind && (actual.Kind == AttackDeviceKind.Cpu || actual.GpuOrdinal == wanted.GpuDeviceOrdinalOrActual(actual));
        if (!same)
            throw new ArgumentException(
                $"AttackTransformOptions.Device is {wanted}, but the {classifier.GetType().Name} runs on {actual}. Create the classifier on " +
                $"{wanted} (TorchSharpClassifier takes an AttackDevice; OnnxClassifierOptions.Device), or leave Device unset.", nameof(device));
    }

    /// <summary>The GPU number asked for; plain <c>cuda</c> accepts whichever GPU the classifier uses.</summary>
    private static int GpuDeviceOrdinalOrActual(this AttackDevice wanted, AttackDevice actual) => wanted.Index ?? actual.GpuOrdinal;
}
