using Adef.MLNet.Classifiers.Onnx.Gradients;
using Google.Protobuf;
using static Adef.MLNet.Tests.Onnx.Gradients.TestGraph;

namespace Adef.MLNet.Tests.Onnx.Gradients;

public class OnnxGradientGraphTests
{
    private const global::Onnx.TensorProto.Types.DataType Float32 = global::Onnx.TensorProto.Types.DataType.Float;

    /// <summary>A small convolutional classifier in float: Conv, BatchNorm, Relu, MaxPool, Conv, AveragePool, Gemm.</summary>
    private static global::Onnx.ModelProto SmallCnn(global::Onnx.TensorProto.Types.DataType elementType = Float32)
    {
        var g = new TestGraph(3, elementType);
        var h = g.Node("Conv", [X, g.Random([4, 1, 3, 3]), g.Random([4])], Ints("pads", 1, 1, 1, 1));
        h = g.Node("BatchNormalization", [h, g.Random([4]), g.Random([4]), g.Random([4]), g.Random([4], 0.5, 1.0)]);
        h = g.Node("Relu", [h]);
        h = g.Node("MaxPool", [h], Ints("kernel_shape", 2, 2), Ints("strides", 2, 2));                          // [N,4,4,4]
        h = g.Node("Conv", [h, g.Random([6, 2, 3, 3]), g.Random([6])], Int("group", 2), Ints("strides", 2, 2), String("auto_pad", "SAME_UPPER")); // [N,6,2,2]
        h = g.Node("Tanh", [h]);
        h = g.Node("AveragePool", [h], Ints("kernel_shape", 2, 2), Ints("pads", 0, 0, 1, 1));                     // [N,6,2,2]
        return g.Model(g.Head(h, 24, 5), 1, 8, 8);
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(1, 3)]
    [InlineData(3, 1)]
    [InlineData(3, 3)]
    public void SmallCnnMatchesFiniteDifferencesForEveryBatchAndTargetCount(long n, int k)
    {
        GradientCheck.AssertMatchesFiniteDifferences(SmallCnn(), n: n, k: k, channels: 1, height: 8, width: 8, h: 3e-3);
    }

    [Fact]
    public void FloatModelMatchesDoubleModel()
    {
        // The rules are dtype-agnostic: the same graph in float and in double gives the same gradients.
        static global::Onnx.ModelProto Build(global::Onnx.TensorProto.Types.DataType elementType)
        {
            var g = new TestGraph(5, elementType);
            var h = g.Node("MatMul", [X, g.Random([5, 5])]);
            h = g.Node("Add", [h, g.Random([2, 1, 1])]);
            h = g.Node("HardSwish", [g.Node("Mul", [h, g.Values([3.0])])]);
            h = g.Node("Softmax", [h], Int("axis", -1));
            h = g.Node("Slice", [h, g.Ints(1), g.Ints(5), g.Ints(2)]);
            return g.Model(g.Head(g.Node("Sigmoid", [h]), 40), 2, 5, 5);
        }
        var x = Enumerable.Range(0, 2 * 50).Select(i => Math.Sin(0.37 * i)).ToArray();
        long[] targets = [0, 1, 3, 2];
        var single = GradientCheck.RunAugmented(Build(Float32), x, [2, 2, 5, 5], targets, 2);
        var dbl = GradientCheck.RunAugmented(Build(global::Onnx.TensorProto.Types.DataType.Double), x, [2, 2, 5, 5], targets, 2);
        var scale = dbl.Gradients.Max(Math.Abs);
        Assert.True(scale > 1e-3);
        Assert.All(single.Gradients.Zip(dbl.Gradients), pair => Assert.True(Math.Abs(pair.First - pair.Second) <= 1e-4 * scale));
    }

    [Fact]
    public void BuildLeavesTheArgumentUnchangedAndAddsTargetsAndGradients()
    {
        var model = SmallCnn();
        var before = model.ToByteArray();
        var augmented = MarginGradientGraph.Build(model, X, "logits");
        Assert.Equal(before, model.ToByteArray());
        Assert.Equal([X, MarginGradientGraph.TargetsInput], augmented.Graph.Input.Select(i => i.Name));
        Assert.Equal(["logits", MarginGradientGraph.GradientsOutput, MarginGradientGraph.ChosenTargetsOutput], augmented.Graph.Output.Select(o => o.Name));
        Assert.Equal(18, augmented.OpsetImport.Single(o => o.Domain == "").Version);
        Assert.True(augmented.IrVersion >= 8);
        Assert.All(augmented.Graph.Node.Skip(model.Graph.Node.Count), node => Assert.StartsWith("adef_grad/", node.Name));
    }

    [Fact]
    public void NodeWithoutRuleOnThePathIsReportedByOpTypeAndName()
    {
        var g = new TestGraph();
        var h = g.Node("Cos", [X]);
        var model = g.Model(g.Head(h, 50), 2, 5, 5);
        var error = Assert.Throws<NotSupportedException>(() => MarginGradientGraph.Build(model, X, "logits"));
        Assert.Contains("'Cos'", error.Message);
        Assert.Contains("cos_node0", error.Message);
        Assert.Contains("Conv", error.Message); // the supported list
    }

    [Fact]
    public void NodeWithoutRuleOffThePathIsIgnored()
    {
        // Cos acts on a constant only; Shape of the input feeds a Reshape: neither is differentiated.
        var g = new TestGraph();
        var constant = g.Node("Cos", [g.Random([1, 50])]);
        var reshaped = g.Node("Reshape", [X, g.Node("Concat", [g.Node("Gather", [g.Node("Shape", [X]), g.Ints(0)]), g.Ints(-1)], Int("axis", 0))]);
        var h = g.Node("Mul", [reshaped, constant]);
        GradientCheck.AssertMatchesFiniteDifferences(g.Model(g.Head(h, 50), 2, 5, 5));
    }

    [Fact]
    public void MissingLogitsAndIntegerInputsAreReportedByName()
    {
        var model = SmallCnn();
        var missing = Assert.Throws<ArgumentException>(() => MarginGradientGraph.Build(model, X, "no_such_tensor"));
        Assert.Contains("no_such_tensor", missing.Message);
        var noInput = Assert.Throws<ArgumentException>(() => MarginGradientGraph.Build(model, "no_such_input", "logits"));
        Assert.Contains("no_such_input", noInput.Message);
        var integer = model.Clone();
        integer.Graph.Input[0].Type.TensorType.ElemType = (int)global::Onnx.TensorProto.Types.DataType.Int64;
        var error = Assert.Throws<NotSupportedException>(() => MarginGradientGraph.Build(integer, X, "logits"));
        Assert.Contains("Int64", error.Message);
    }
}
