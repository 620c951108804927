using Adef.MLNet.Classifiers.Onnx.Gradients;
using static Adef.MLNet.Tests.Onnx.Gradients.TestGraph;

namespace Adef.MLNet.Tests.Onnx.Gradients;

public class OnnxGradientLinearTests
{
    [Fact]
    public void MatMulTwoDimensionalAndBatchedMatchFiniteDifferences()
    {
        var g = new TestGraph();
        var y = g.Node("MatMul", [X, g.Random([4, 3])]);                              // [N,2,3,4]·[4,3] → [N,2,3,3]
        var z = g.Node("MatMul", [g.Random([3, 3]), y]);                              // constant · active, broadcast batch
        var zt = g.Node("Transpose", [z], Ints("perm", 0, 1, 3, 2));
        var s = g.Node("MatMul", [z, zt]);                                            // active · active
        var t = g.Node("MatMul", [g.Node("Tanh", [s]), g.Random([2, 3, 2])]);         // constant batch [2] broadcast against [N,2]
        var flat = g.Node("Flatten", [t], Int("axis", 1));                            // [N, 12]
        var logits = g.Node("MatMul", [flat, g.Random([12, 4])]);                      // 2-D
        GradientCheck.AssertMatchesFiniteDifferences(g.Model(logits, 2, 3, 4), height: 3, width: 4);
    }

    [Fact]
    public void MatMulWithVectorOperandMatchesFiniteDifferences()
    {
        var g = new TestGraph();
        var v = g.Node("MatMul", [X, g.Random([4])]);                                 // [N,2,3]
        GradientCheck.AssertMatchesFiniteDifferences(g.Model(g.Head(v, 6), 2, 3, 4), height: 3, width: 4);
    }

    [Theory]
    [InlineData(0, 0)]
    [InlineData(0, 1)]
    [InlineData(1, 0)]
    [InlineData(1, 1)]
    public void GemmWithTransposesAlphaAndBetaMatchesFiniteDifferences(int transA, int transB)
    {
        var g = new TestGraph();
        var flat = g.Node("Flatten", [X], Int("axis", 1));                            // [N, 12]
        var a = transA == 1 ? g.Node("Transpose", [flat], Ints("perm", 1, 0)) : flat;
        var w = g.Random(transB == 1 ? [6, 12] : [12, 6]);
        var hidden = g.Node("Gemm", [a, w, g.Random([6])], Int("transA", transA), Int("transB", transB), Float("alpha", 0.7), Float("beta", 0.3));
        var act = g.Node("Tanh", [hidden]);
        var logits = g.Node("Gemm", [g.Node("Transpose", [act], Ints("perm", 1, 0)), g.Random([4, 6])], Int("transA", 1), Int("transB", 1), Float("alpha", 1.3));
        GradientCheck.AssertMatchesFiniteDifferences(g.Model(logits, 1, 3, 4), channels: 1, height: 3, width: 4);
    }

    [Fact]
    public void ReshapeWithShapeComputedFromInputMatchesFiniteDifferences()
    {
        var g = new TestGraph();
        var batch = g.Node("Gather", [g.Node("Shape", [X]), g.Ints(0)], Int("axis", 0));
        var shape = g.Node("Concat", [batch, g.Ints(5, -1)], Int("axis", 0));
        var r = g.Node("Reshape", [X, shape]);                                         // [N,5,10]
        var sq = g.Node("Unsqueeze", [r, g.Ints(1)]);                                  // [N,1,5,10]
        var sq2 = g.Node("Squeeze", [g.Node("Sigmoid", [sq]), g.Ints(1)]);            // [N,5,10]
        GradientCheck.AssertMatchesFiniteDifferences(g.Model(g.Head(sq2, 50), 2, 5, 5));
    }

    [Theory]
    [InlineData("NOTSET", 2, 1, 1, 7, 7)]
    [InlineData("NOTSET", 2, 2, 2, 7, 8)]
    [InlineData("NOTSET", 1, 1, 1, 6, 5)]
    [InlineData("SAME_UPPER", 2, 1, 1, 7, 6)]
    [InlineData("SAME_LOWER", 2, 1, 2, 7, 7)]
    [InlineData("SAME_LOWER", 3, 1, 1, 8, 7)]  // ONNX Runtime has no dilations with SAME padding
    [InlineData("VALID", 2, 1, 1, 7, 8)]
    [InlineData("VALID", 3, 1, 2, 8, 8)]
    public void ConvMatchesFiniteDifferences(string autoPad, long stride, long dilation, long group, long height, long width)
    {
        // ONNX Runtime's CPU Conv is float only: central differences in float with a larger step.
        var g = new TestGraph(elementType: global::Onnx.TensorProto.Types.DataType.Float);
        const long channels = 2;
        const long outputs = 4;
        var attributes = new List<global::Onnx.AttributeProto>
        {
            Ints("strides", stride, stride == 3 ? 2 : stride),
            Ints("dilations", dilation, 1),
            Int("group", group),
            String("auto_pad", autoPad),
        };
        if (autoPad == "NOTSET")
        {
            attributes.Add(Ints("pads", 1, 0, 2, 1));
        }
        var conv = g.Node("Conv", [X, g.Random([outputs, channels / group, 3, 2]), g.Random([outputs])], [.. attributes]);
        var pooled = g.Node("ReduceMean", [g.Node("Tanh", [conv]), g.Ints(3)], Int("keepdims", 0));   // [N, 4, H']
        var logits = g.Node("MatMul", [g.Node("Flatten", [g.Node("ReduceSum", [pooled, g.Ints(2)])], Int("axis", 1)), g.Random([outputs, 3])]);
        GradientCheck.AssertMatchesFiniteDifferences(g.Model(logits, channels, height, width), channels: channels, height: height, width: width, h: 1e-2);
    }

    [Theory]
    [InlineData(1, 1, 1, 0, 2, 1)]   // stride 1: the adjoint is a Conv with the flipped kernel
    [InlineData(1, 2, 2, 1, 0, 3)]   // stride 1, dilated
    [InlineData(2, 1, 1, 1, 1, 1)]   // stride 2: ConvTranspose, as for other convolutions
    public void DepthwiseConvMatchesFiniteDifferences(long stride, long dilation, long top, long left, long bottom, long right)
    {
        var g = new TestGraph(elementType: global::Onnx.TensorProto.Types.DataType.Float);
        const long channels = 3;
        var conv = g.Node("Conv", [X, g.Random([channels, 1, 3, 3]), g.Random([channels])], Ints("strides", stride, stride),
            Ints("dilations", dilation, dilation), Int("group", channels), Ints("pads", top, left, bottom, right));
        var pooled = g.Node("ReduceMean", [g.Node("Tanh", [conv]), g.Ints(3)], Int("keepdims", 0));
        var logits = g.Node("MatMul", [g.Node("Flatten", [g.Node("ReduceSum", [pooled, g.Ints(2)])], Int("axis", 1)), g.Random([channels, 4])]);
        var model = g.Model(logits, channels, 8, 7);

        var augmented = MarginGradientGraph.Build(model, X, "logits");
        Assert.Equal(stride == 1 ? 0 : 1, augmented.Graph.Node.Count(n => n.OpType == "ConvTranspose"));
        GradientCheck.AssertMatchesFiniteDifferences(model, channels: channels, height: 8, width: 7, h: 1e-2);
    }
}
