using Adef.MLNet.Classifiers.Onnx;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Onnx;
using static Adef.MLNet.Classifiers.Onnx.OnnxProtos;

namespace Adef.MLNet.Tests.Onnx;

public class OpsetUpgradeTests
{
    /// <summary>One old-opset node (or two) on a random input "x"; outputs are compared before and after the upgrade.</summary>
    private sealed record Case(long Opset, long[] InputShape, NodeProto[] Nodes, (string Name, int Type)[] Outputs, TensorProto[] Initializers);

    private static Case One(long opset, long[] shape, NodeProto node, params TensorProto[] initializers) =>
        new(opset, shape, new[] { node }, node.Output.Select(o => (o, FloatType)).ToArray(), initializers);

    private static NodeProto N(string op, string[] inputs, string[] outputs, params AttributeProto[] attributes) =>
        Node(op, op.ToLowerInvariant() + "_node", inputs, outputs, attributes);

    private static readonly string[] X = { "x" }, Y = { "y" };

    private static readonly Dictionary<string, Func<Case>> Cases = new()
    {
        ["Clip6"] = () => One(10, new long[] { 2, 3, 4, 5 }, N("Clip", X, Y, Float("min", -0.3f), Float("max", 0.5f))),
        ["Clip6MaxOnly"] = () => One(7, new long[] { 2, 3, 4, 5 }, N("Clip", X, Y, Float("max", 0.2f))),
        ["Squeeze1Unsqueeze1"] = () => new(11, new long[] { 2, 1, 4, 5 },
            new[] { N("Squeeze", X, new[] { "s" }, Ints("axes", 1)), Node("Unsqueeze", "unsqueeze_node", new[] { "s" }, Y, Ints("axes", 0, 3)) },
            new[] { ("y", FloatType) }, Array.Empty<TensorProto>()),
        ["Slice1"] = () => One(9, new long[] { 2, 3, 4, 5 }, N("Slice", X, Y, Ints("starts", 1, 0), Ints("ends", 3, 1000), Ints("axes", 1, 3))),
        ["Slice1WithoutAxes"] = () => One(7, new long[] { 2, 3, 4, 5 }, N("Slice", X, Y, Ints("starts", 0, 1), Ints("ends", 1, -1))),
        ["Pad2Constant"] = () => One(10, new long[] { 2, 3, 4, 5 }, N("Pad", X, Y, Ints("pads", 0, 0, 1, 2, 0, 0, 2, 1), Float("value", 0.5f))),
        ["Pad2Reflect"] = () => One(8, new long[] { 1, 2, 4, 5 },
            N("Pad", X, Y, Ints("pads", 0, 0, 1, 1, 0, 0, 1, 2), OnnxProtos.String("mode", "reflect"))),
        ["Split2Sizes"] = () => One(11, new long[] { 2, 6, 4, 5 }, N("Split", X, new[] { "y1", "y2" }, Int("axis", 1), Ints("split", 2, 4))),
        ["Split2Equal"] = () => One(11, new long[] { 2, 6, 4, 5 }, N("Split", X, new[] { "y1", "y2", "y3" }, Int("axis", 1))),
        ["Split13Equal"] = () => One(13, new long[] { 2, 4, 4, 5 }, N("Split", X, new[] { "y1", "y2" }, Int("axis", 3 - 1))),
        ["ReduceMean1"] = () => One(11, new long[] { 2, 3, 4, 5 }, N("ReduceMean", X, Y, Ints("axes", 2, 3), Int("keepdims", 1))),
        ["ReduceSum1"] = () => One(11, new long[] { 2, 3, 4, 5 }, N("ReduceSum", X, Y, Ints("axes", 1), Int("keepdims", 0))),
        ["ReduceMax13"] = () => One(13, new long[] { 2, 3, 4, 5 }, N("ReduceMax", X, Y, Ints("axes", -1))),
        ["ReduceMeanAllAxes"] = () => One(12, new long[] { 2, 3, 4, 5 }, N("ReduceMean", X, Y, Int("keepdims", 0))),
        ["Dropout10"] = () => One(10, new long[] { 2, 3, 4, 5 }, N("Dropout", X, Y, Float("ratio", 0.3f))),
        ["BatchNormalization7"] = () => One(7, new long[] { 2, 3, 4, 5 },
            N("BatchNormalization", new[] { "x", "scale", "bias", "mean", "var" }, Y, Int("spatial", 1), Float("epsilon", 1e-3f)),
            FloatTensor("scale", new[] { 1.5f, 0.5f, -1f }, 3), FloatTensor("bias", new[] { 0.1f, 0.2f, 0.3f }, 3),
            FloatTensor("mean", new[] { 0.2f, -0.1f, 0f }, 3), FloatTensor("var", new[] { 0.5f, 2f, 1f }, 3)),
        ["Softmax1Axis1"] = () => One(11, new long[] { 2, 3, 4, 5 }, N("Softmax", X, Y, Int("axis", 1))),
        ["LogSoftmax1DefaultAxis"] = () => One(11, new long[] { 2, 3, 4, 5 }, N("LogSoftmax", X, Y)),
        ["Softmax1LastAxis"] = () => One(9, new long[] { 2, 3, 4, 5 }, N("Softmax", X, Y, Int("axis", 3))),
        ["Hardmax1Axis2"] = () => One(12, new long[] { 2, 3, 4, 5 }, N("Hardmax", X, Y, Int("axis", 2))),
        ["Upsample7Nearest"] = () => One(7, new long[] { 1, 2, 3, 4 },
            N("Upsample", X, Y, Floats("scales", 1, 1, 2, 3), OnnxProtos.String("mode", "nearest"))),
        ["Upsample7Linear"] = () => One(8, new long[] { 1, 2, 3, 4 },
            N("Upsample", X, Y, Floats("scales", 1, 1, 2, 2), OnnxProtos.String("mode", "linear"))),
        ["Upsample9ScalesInput"] = () => One(9, new long[] { 1, 2, 3, 4 },
            N("Upsample", new[] { "x", "scales" }, Y, OnnxProtos.String("mode", "nearest")), FloatTensor("scales", new[] { 1f, 1f, 2f, 2f }, 4)),
        ["Resize10Linear"] = () => One(10, new long[] { 1, 2, 3, 4 },
            N("Resize", new[] { "x", "scales" }, Y, OnnxProtos.String("mode", "linear")), FloatTensor("scales", new[] { 1f, 1f, 2f, 1.5f }, 4)),
        ["TopK1"] = () => new(9, new long[] { 2, 3, 4, 5 }, new[] { N("TopK", X, new[] { "values", "indices" }, Int("k", 2)) },
            new[] { ("values", FloatType), ("indices", Int64Type) }, Array.Empty<TensorProto>()),
        ["ImageScaler"] = () => One(8, new long[] { 2, 3, 4, 5 }, N("ImageScaler", X, Y, Float("scale", 0.5f), Floats("bias", 1f, -2f, 3f))),
        ["Scatter9"] = () => One(9, new long[] { 2, 3 },
            N("Scatter", new[] { "x", "indices", "updates" }, Y, Int("axis", 1)),
            Int64Tensor("indices", new long[] { 2, 0, 1, 1 }, 2, 2), FloatTensor("updates", new[] { 5f, 6f, 7f, 8f }, 2, 2)),
    };

    public static TheoryData<string> CaseNames() => new(Cases.Keys);

    private static ModelProto Build(Case c)
    {
        var graph = new GraphProto { Name = "case" };
        graph.Input.Add(ValueInfo("x", FloatType, c.InputShape.Cast<object>().ToArray()));
        graph.Initializer.AddRange(c.Initializers);
        graph.Node.AddRange(c.Nodes);
        foreach (var (name, type) in c.Outputs)
            graph.Output.Add(new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = type } } });
        return Model(graph, c.Opset, irVersion: 7);
    }

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void UpgradedNodeComputesTheSameAsTheOriginal(string name)
    {
        Case c = Cases[name]();
        ModelProto original = Build(c);
        ModelProto upgraded = OpsetUpgrade.ToOpset18(original);

        Assert.Equal(18, OpsetUpgrade.DefaultOpset(upgraded));
        Assert.Equal(c.Opset, OpsetUpgrade.DefaultOpset(original));
        foreach (var node in upgraded.Graph.Node)
            Assert.DoesNotContain(node.Attribute, a => a.Name is "min" or "max" or "starts" or "ends" or "value" or "split" or "ratio" or "spatial" or "is_test" or "scales"
                || (a.Name == "axes" && node.OpType != "Slice") || (a.Name == "pads" && node.OpType == "Pad"));
        Assert.DoesNotContain(upgraded.Graph.Node, n => n.OpType is "Upsample" or "Scatter");

        long count = c.InputShape.Aggregate(1L, (p, d) => p * d);
        var random = new Random(name.Length);
        float[] x = Enumerable.Range(0, (int)count).Select(_ => (float)(random.NextDouble() * 4 - 2)).ToArray();
        var before = Run(original, x, c.InputShape, c.Outputs);
        var after = Run(upgraded, x, c.InputShape, c.Outputs);
        for (int o = 0; o < c.Outputs.Length; o++)
        {
            Assert.Equal(before[o].Shape, after[o].Shape);
            Assert.Equal(before[o].Values.Length, after[o].Values.Length);
            for (int i = 0; i < before[o].Values.Length; i++)
                Assert.True(Math.Abs(before[o].Values[i] - after[o].Values[i]) <= 1e-5 * Math.Max(1, Math.Abs(before[o].Values[i])),
                    $"{name}, output {c.Outputs[o].Name}[{i}]: {before[o].Values[i]} before, {after[o].Values[i]} after");
        }
    }

    private static (long[] Shape, double[] Values)[] Run(ModelProto model, float[] x, long[] shape, (string Name, int Type)[] outputs)
    {
        using var session = new InferenceSession(model.ToByteArray());
        using var runOptions = new RunOptions();
        using var input = OrtValue.CreateTensorValueFromMemory(x, shape);
        using var results = session.Run(runOptions, new[] { "x" }, new[] { input }, outputs.Select(o => o.Name).ToArray());
        return results.Select(r =>
        {
            var info = r.GetTensorTypeAndShape();
            double[] values = info.ElementDataType == TensorElementType.Int64
                ? r.GetTensorDataAsSpan<long>().ToArray().Select(v => (double)v).ToArray()
                : r.GetTensorDataAsSpan<float>().ToArray().Select(v => (double)v).ToArray();
            return (info.Shape, values);
        }).ToArray();
    }

    [Fact]
    public void ModelAtOpset18IsReturnedUnchanged()
    {
        ModelProto model = TinyModels.Classifier(batch: "N", opset: 18);
        Assert.Equal(model, OpsetUpgrade.ToOpset18(model));
    }

    [Fact]
    public void OpsetOlderThan7IsRefused()
    {
        var error = Assert.Throws<NotSupportedException>(() => OpsetUpgrade.ToOpset18(TinyModels.Classifier(batch: "N", opset: 6)));
        Assert.Contains("opset 6", error.Message);
    }

    [Fact]
    public void PerActivationBatchNormalizationIsRefusedNamingTheNode()
    {
        Case c = Cases["BatchNormalization7"]();
        c.Nodes[0].Attribute.Single(a => a.Name == "spatial").I = 0;
        var error = Assert.Throws<NotSupportedException>(() => OpsetUpgrade.ToOpset18(Build(c)));
        Assert.Contains("batchnormalization_node", error.Message);
    }

    [Fact]
    public void UpgradeDoesNotModifyItsArgument()
    {
        ModelProto model = Build(Cases["Clip6"]());
        byte[] before = model.ToByteArray();
        OpsetUpgrade.ToOpset18(model);
        Assert.Equal(before, model.ToByteArray());
    }
}
