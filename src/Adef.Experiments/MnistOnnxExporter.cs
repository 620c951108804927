using Adef.MLNet.Classifiers.TorchSharp;
using Google.Protobuf;
using Onnx;
using static Adef.MLNet.Classifiers.Onnx.OnnxProtos;
using TorchTensor = TorchSharp.torch.Tensor;

using Adef.MLNet.Classifiers.Onnx;

namespace Adef.Experiments;

/// <summary>
/// Writes the project's TorchSharp MNIST-A (<see cref="MnistA"/>) as an ONNX model (opset 18), so a network
/// trained with TorchSharp can be attacked through the ONNX backend or used from ML.NET.
/// </summary>
/// <remarks>
/// The graph is Conv(5×5, pads 2) → Relu → MaxPool(2, 2) → Conv(5×5, pads 2) → Relu → MaxPool(2, 2) → Flatten →
/// Gemm(transB) → Relu → Gemm(transB), with input <c>input</c> float [N, 1, 28, 28] (N symbolic, pixels in [0, 1])
/// and output <c>logits</c> float [N, 10]. The weights are read from the module's named parameters.
/// </remarks>
public static class MnistOnnxExporter
{
    /// <summary>Name of the model input.</summary>
    public const string InputName = "input";

    /// <summary>Name of the model output (logits).</summary>
    public const string OutputName = "logits";

    /// <summary>Serialises <paramref name="module"/> as an ONNX model.</summary>
    /// <param name="module">The network; its parameters are copied, the module is not changed.</param>
    /// <returns>The bytes of an .onnx file.</returns>
    public static byte[] Export(MnistA module) => Build(module).ToByteArray();

    /// <summary>Writes <paramref name="module"/> as an ONNX model to <paramref name="path"/> (overwriting it).</summary>
    /// <param name="module">The network.</param>
    /// <param name="path">The .onnx file to write; its folder must exist.</param>
    public static void Save(MnistA module, string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        File.WriteAllBytes(path, Export(module));
    }

    internal static ModelProto Build(MnistA module)
    {
        ArgumentNullException.ThrowIfNull(module);
        var parameters = new Dictionary<string, TorchTensor>(StringComparer.Ordinal);
        foreach (var (name, parameter) in module.named_parameters()) parameters[name] = parameter;

        var graph = new GraphProto { Name = "MnistA" };
        string Weight(string name)
        {
            if (!parameters.TryGetValue(name, out var parameter))
                throw new InvalidOperationException(
                    $"MnistA has no parameter '{name}'; it has: {string.Join(", ", parameters.Keys)}.");
            using var host = parameter.detach().cpu().contiguous();
            graph.Initializer.Add(FloatTensor(name, host.data<float>().ToArray(), host.shape));
            return name;
        }

        graph.Input.Add(ValueInfo(InputName, FloatType, "N", 1, 28, 28));
        graph.Output.Add(ValueInfo(OutputName, FloatType, "N", 10));
        string previous = InputName;
        string Add(string opType, string output, string[] extraInputs, params AttributeProto[] attributes)
        {
            graph.Node.Add(Node(opType, output, new[] { previous }.Concat(extraInputs), new[] { output }, attributes));
            previous = output;
            return output;
        }

        for (int layer = 1; layer <= 2; layer++)
        {
            Add("Conv", $"conv{layer}", new[] { Weight($"_conv{layer}.weight"), Weight($"_conv{layer}.bias") },
                Ints("kernel_shape", 5, 5), Ints("pads", 2, 2, 2, 2), Ints("strides", 1, 1));
            Add("Relu", $"relu{layer}", Array.Empty<string>());
            Add("MaxPool", $"pool{layer}", Array.Empty<string>(), Ints("kernel_shape", 2, 2), Ints("strides", 2, 2));
        }
        Add("Flatten", "flatten", Array.Empty<string>(), Int("axis", 1));
        Add("Gemm", "fc1", new[] { Weight("_fc1.weight"), Weight("_fc1.bias") }, Int("transB", 1));
        Add("Relu", "relu3", Array.Empty<string>());
        Add("Gemm", OutputName, new[] { Weight("_fc2.weight"), Weight("_fc2.bias") }, Int("transB", 1));
        return Model(graph, OpsetUpgrade.TargetOpset);
    }
}
