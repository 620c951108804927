using Adef.MLNet.Classifiers;
using Adef.MLNet.Classifiers.Onnx;

namespace Adef.MLNet.Transforms;

/// <summary>Applies and checks <see cref="AttackTransformOptions.Device"/>.</summary>
internal static class TransformDevice
{
    /// <summary>The ONNX options with the requested device (a copy; the caller's options are not changed).</summary>
    public static OnnxClassifierOptions? Apply(OnnxClassifierOptions? options, ComputeDevice? device)
    {
        if (device is null) return options;
        OnnxClassifierOptions copy = options?.Clone() ?? new OnnxClassifierOptions();
        copy.Device = device.Value;
        return copy;
    }

    /// <summary>Throws unless <paramref name="classifier"/> runs on <paramref name="device"/> (when one is asked for).</summary>
    public static void Check(IDifferentiableClassifier classifier, ComputeDevice? device)
    {
        ArgumentNullException.ThrowIfNull(classifier);
        if (device is not { } wanted || wanted.Accepts(classifier.Device)) return;
        throw new ArgumentException(
            $"AttackTransformOptions.Device is {wanted}, but the {classifier.GetType().Name} runs on {classifier.Device}. Create the classifier " +
            $"on {wanted} (OnnxClassifierOptions.Device, or the TorchSharp classifier's device), or leave Device unset.", nameof(device));
    }
}
