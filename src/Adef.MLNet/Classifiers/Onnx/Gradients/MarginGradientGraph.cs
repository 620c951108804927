using Onnx;

namespace Adef.MLNet.Classifiers.Onnx.Gradients;

/// <summary>STUB until the reverse-mode gradient graph builder is merged.</summary>
internal static class MarginGradientGraph
{
    /// <summary>Name of the int64 [N, K] target-label input of the augmented model.</summary>
    public const string TargetsInput = "adef_targets";

    /// <summary>Name of the float [N, K, C, H, W] margin-gradient output of the augmented model.</summary>
    public const string GradientsOutput = "adef_margin_gradients";

    /// <summary>Appends the margin gradients to <paramref name="model"/> (stub: always throws).</summary>
    public static ModelProto Build(ModelProto model, string inputName, string logitsName) =>
        throw new NotSupportedException("gradient builder not merged yet");
}
