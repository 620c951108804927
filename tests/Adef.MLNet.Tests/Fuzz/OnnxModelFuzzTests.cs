using Adef.Experiments;
using Xunit.Abstractions;
using Adef.MLNet.Attacks;
using Adef.MLNet.Classifiers.Onnx;
using Adef.MLNet.Classifiers.TorchSharp;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using Onnx;
using static Adef.MLNet.Classifiers.Onnx.OnnxProtos;

namespace Adef.MLNet.Tests.Fuzz;

/// <summary>
/// Mutated ONNX models (byte-level and structural) must load, or fail with a documented exception, within the
/// case time bound; a model that loads must then classify, build its gradients, or fail documentedly.
/// </summary>
public class OnnxModelFuzzTests(ITestOutputHelper output)
{
    private static readonly Lazy<byte[]> MnistA = new(() =>
    {
        using var module = new MnistA();
        return MnistOnnxExporter.Export(module);
    });

    [Fact]
    public void FuzzedTinyConvolutionModelsLoadOrFailWithADocumentedException() =>
        Fuzz(TinyConvolutionModel().ToByteArray(), FuzzHarness.Cases(1240), FuzzHarness.Seed(6001), gradients: true);

    [Fact]
    public void FuzzedMnistAModelsLoadOrFailWithADocumentedException() =>
        Fuzz(MnistA.Value, FuzzHarness.Cases(60), FuzzHarness.Seed(6002), gradients: false);

    [Fact]
    public void TinyConvolutionModelIsValidBeforeMutation()
    {
        using var classifier = new OnnxClassifier(TinyConvolutionModel().ToByteArray());
        Assert.Equal(3, classifier.ClassCount);
        classifier.PrepareGradients();
    }

    private void Fuzz(byte[] valid, int cases, int seed, bool gradients)
    {
        var random = new Random(seed);
        var failures = new List<string>();
        var outcomes = new Dictionary<string, int>();
        for (int c = 0; c < cases; c++)
        {
            (byte[] bytes, string mutation) = random.Next(2) == 0
                ? ByteMutator.Mutate(valid, random)
                : StructuralMutation(valid, random);
            string outcome = FuzzHarness.Run(c, mutation, () => LoadAndUse(bytes, gradients), failures, IsDocumentedUseFailure);
            FuzzHarness.Count(outcomes, outcome);
        }
        FuzzHarness.AssertNoFailures(failures, cases, outcomes, output);
    }

    /// <summary>ONNX Runtime failing to run a loaded model (documented on ComputeLogits), or a missing gradient rule.</summary>
    private static bool IsDocumentedUseFailure(Exception e) =>
        e is InvalidOperationException { InnerException: OnnxRuntimeException } or NotSupportedException;

    private static void LoadAndUse(byte[] bytes, bool gradients)
    {
        using var classifier = new OnnxClassifier(bytes);
        var images = new float[2 * classifier.InputShape.Size];
        var logits = new float[2 * classifier.ClassCount];
        classifier.ComputeLogits(images, 2, logits);
        if (!gradients) return;
        classifier.PrepareGradients();
        // A corrupt but loadable model (NaN weights, say) must not break the attacks either.
        var random = new Random(1);
        for (int i = 0; i < images.Length; i++) images[i] = (float)random.NextDouble();
        if (classifier.ClassCount > 1024) return;
        foreach (var result in new DeepFoolAttack(classifier, new DeepFoolOptions { MaxIterations = 3 }).Run(images))
            Assert.True(result.Outcome != AttackOutcome.NumericalFailure || !result.Success);
        new AdefAttack(classifier, new AdefOptions { MaxIterations = 3, Sigma = 0.5, OvershootFactor = 1.2 }).Run(images);
    }

    /// <summary>x [N, 1, 6, 6] → Conv 2×3×3 (pads 1) → Relu → MaxPool 2 → Flatten → Gemm (transB) → logits [N, 3].</summary>
    internal static ModelProto TinyConvolutionModel()
    {
        var random = new Random(5);
        float[] Values(int n) => Enumerable.Range(0, n).Select(_ => (float)(random.NextDouble() - 0.5)).ToArray();
        var graph = new GraphProto { Name = "tiny_conv" };
        graph.Input.Add(ValueInfo("x", FloatType, "N", 1, 6, 6));
        graph.Initializer.Add(FloatTensor("conv_w", Values(18), 2, 1, 3, 3));
        graph.Initializer.Add(FloatTensor("conv_b", Values(2), 2));
        graph.Initializer.Add(FloatTensor("fc_w", Values(3 * 18), 3, 18));
        graph.Initializer.Add(FloatTensor("fc_b", Values(3), 3));
        graph.Node.Add(Node("Conv", "conv", new[] { "x", "conv_w", "conv_b" }, new[] { "c" }, Ints("pads", 1, 1, 1, 1), Ints("kernel_shape", 3, 3)));
        graph.Node.Add(Node("Relu", "relu", new[] { "c" }, new[] { "r" }));
        graph.Node.Add(Node("MaxPool", "pool", new[] { "r" }, new[] { "p" }, Ints("kernel_shape", 2, 2), Ints("strides", 2, 2)));
        graph.Node.Add(Node("Flatten", "flatten", new[] { "p" }, new[] { "f" }, Int("axis", 1)));
        graph.Node.Add(Node("Gemm", "fc", new[] { "f", "fc_w", "fc_b" }, new[] { "logits" }, Int("transB", 1)));
        graph.Output.Add(ValueInfo("logits", FloatType, "N", 3));
        return Model(graph, 13);
    }

    private static readonly string[] OpTypes =
    {
        "Conv", "Relu", "MaxPool", "Flatten", "Gemm", "Add", "MatMul", "Reshape", "Softmax", "Identity", "Loop", "If",
        "Transpose", "Concat", "Split", "NoSuchOp", "", "Resize", "Slice", "Gather", "Cast", "Constant", "ConstantOfShape", "Expand",
    };

    /// <summary>One structural change through the protobuf object model: the kind a byte flip rarely reaches but a hostile file can hold.</summary>
    private static (byte[] Bytes, string Mutation) StructuralMutation(byte[] valid, Random random)
    {
        ModelProto model = ModelProto.Parser.ParseFrom(valid);
        GraphProto graph = model.Graph;
        var names = graph.Input.Select(i => i.Name).Concat(graph.Initializer.Select(t => t.Name))
            .Concat(graph.Node.SelectMany(n => n.Output)).Append("nowhere").ToList();
        NodeProto node = graph.Node[random.Next(graph.Node.Count)];
        string mutation;
        switch (random.Next(14))
        {
            case 0:
            {
                int i = random.Next(Math.Max(1, node.Input.Count));
                string name = names[random.Next(names.Count)];
                if (node.Input.Count > 0) node.Input[i] = name; else node.Input.Add(name);
                mutation = $"input {i} of {node.Name} → '{name}'";
                break;
            }
            case 1:
                node.OpType = OpTypes[random.Next(OpTypes.Length)];
                mutation = $"{node.Name} op → '{node.OpType}'";
                break;
            case 2:
            {
                var values = graph.Input.Concat(graph.Output).Concat(graph.ValueInfo).ToList();
                var dims = values[random.Next(values.Count)].Type?.TensorType?.Shape?.Dim;
                if (dims is null || dims.Count == 0) goto default;
                long value = RandomDimension(random);
                dims[random.Next(dims.Count)].DimValue = value;
                mutation = $"declared dimension → {value}";
                break;
            }
            case 3:
            {
                var tensor = graph.Initializer[random.Next(graph.Initializer.Count)];
                long value = RandomDimension(random);
                if (tensor.Dims.Count == 0) tensor.Dims.Add(value); else tensor.Dims[random.Next(tensor.Dims.Count)] = value;
                mutation = $"dimension of initializer {tensor.Name} → {value}";
                break;
            }
            case 4:
                graph.Node.Remove(node);
                mutation = $"removed node {node.Name}";
                break;
            case 5:
            {
                var tensor = graph.Initializer[random.Next(graph.Initializer.Count)];
                graph.Initializer.Remove(tensor);
                mutation = $"removed initializer {tensor.Name}";
                break;
            }
            case 6:
            {
                int type = random.Next(24);
                if (random.Next(2) == 0) graph.Input[0].Type.TensorType.ElemType = type;
                else graph.Initializer[random.Next(graph.Initializer.Count)].DataType = type;
                mutation = $"element type → {type}";
                break;
            }
            case 7:
            {
                var attribute = node.Attribute.Count > 0 ? node.Attribute[random.Next(node.Attribute.Count)] : null;
                if (attribute is null) goto default;
                for (int i = 0; i < attribute.Ints.Count; i++) attribute.Ints[i] = RandomDimension(random);
                attribute.I = RandomDimension(random);
                attribute.Type = (AttributeProto.Types.AttributeType)random.Next(15);
                mutation = $"attribute {attribute.Name} of {node.Name} scrambled";
                break;
            }
            case 8:
            {
                var copy = node.Clone();
                graph.Node.Insert(random.Next(graph.Node.Count + 1), copy);
                mutation = $"duplicated node {node.Name}";
                break;
            }
            case 9:
            {
                // Feed a node's output back into an earlier node: a cycle.
                var first = graph.Node[0];
                string output = graph.Node[^1].Output[0];
                first.Input.Add(output);
                mutation = $"cycle: {output} fed to {first.Name}";
                break;
            }
            case 10:
            {
                int[] order = Enumerable.Range(0, graph.Node.Count).OrderBy(_ => random.Next()).ToArray();
                var shuffled = order.Select(i => graph.Node[i]).ToList();
                graph.Node.Clear();
                graph.Node.AddRange(shuffled);
                mutation = "nodes shuffled";
                break;
            }
            case 11:
            {
                var tensor = graph.Initializer[random.Next(graph.Initializer.Count)];
                byte[] raw = tensor.RawData.Length > 0 ? tensor.RawData.ToByteArray() : tensor.FloatData.SelectMany(BitConverter.GetBytes).ToArray();
                int cut = random.Next(raw.Length + 1);
                tensor.FloatData.Clear();
                tensor.RawData = ByteString.CopyFrom(raw.AsSpan(0, cut));
                mutation = $"initializer {tensor.Name} data cut to {cut} bytes";
                break;
            }
            case 12:
            {
                var subgraph = graph.Clone();
                node.Attribute.Add(new AttributeProto { Name = random.Next(2) == 0 ? "body" : "then_branch", Type = AttributeProto.Types.AttributeType.Graph, G = subgraph });
                mutation = $"graph attribute added to {node.Name}";
                break;
            }
            case 13:
                model.OpsetImport.Clear();
                if (random.Next(2) == 0) model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = random.Next(30) });
                mutation = $"opset imports → {string.Join(",", model.OpsetImport.Select(o => o.Version))}";
                break;
            default:
                graph.Output[0].Name = names[random.Next(names.Count)];
                mutation = $"graph output → '{graph.Output[0].Name}'";
                break;
        }
        return (model.ToByteArray(), "structural: " + mutation);
    }

    private static long RandomDimension(Random random) => random.Next(6) switch
    {
        0 => -random.Next(1, 3),
        1 => 0,
        2 => random.Next(1, 64),
        3 => 1L << random.Next(20, 62),
        4 => long.MaxValue,
        _ => random.Next(1, 8),
    };
}
