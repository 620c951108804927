using static Adef.MLNet.Tests.Onnx.Gradients.TestGraph;

namespace Adef.MLNet.Tests.Onnx.Gradients;

public class OnnxGradientShapeTests
{
    [Fact]
    public void ConcatAndSplitMatchFiniteDifferences()
    {
        var g = new TestGraph();
        var a = g.Node("Tanh", [X]);
        var concat = g.Node("Concat", [a, g.Random([1, 2, 5, 5]) is var c ? g.Node("Expand", [c, g.Node("Shape", [X])]) : "", g.Node("Mul", [X, X])], Int("axis", 1));  // [N,6,5,5]
        var parts = g.Nodes("Split", [concat, g.Ints(1, 3, 2)], 3, Int("axis", -3));
        var halves = g.Nodes("Split", [parts[1]], 2, Int("axis", 3), Int("num_outputs", 2));  // [N,3,5,3], [N,3,5,2]; second unused
        var joined = g.Node("Concat", [parts[0], parts[2], X], Int("axis", -3));             // [N,5,5,5]
        var features = g.Node("Concat", [g.Node("Flatten", [joined], Int("axis", 1)), g.Node("Flatten", [halves[0]], Int("axis", 1))], Int("axis", 1));
        var logits = g.Node("Gemm", [features, g.Random([4, 125 + 45])], Int("transB", 1));
        GradientCheck.AssertMatchesFiniteDifferences(g.Model(logits, 2, 5, 5));
    }

    [Fact]
    public void SliceWithAxesStepsAndNegativeIndicesMatchesFiniteDifferences()
    {
        var g = new TestGraph();
        var a = g.Node("Slice", [X, g.Ints(1, -1), g.Ints(5, -6), g.Ints(2, 3), g.Ints(2, -2)]);  // rows 1,3; columns 4,2,0
        var bb = g.Node("Slice", [X, g.Ints(1), g.Ints(100), g.Ints(-1)]);                       // columns 1..4
        var features = g.Node("Concat", [
            g.Node("Flatten", [a], Int("axis", 1)),
            g.Node("Flatten", [g.Node("Mul", [bb, bb])], Int("axis", 1))], Int("axis", 1));
        var logits = g.Node("Gemm", [features, g.Random([4, 12 + 40])], Int("transB", 1));
        GradientCheck.AssertMatchesFiniteDifferences(g.Model(logits, 2, 5, 5));
    }

    [Theory]
    [InlineData("constant")]
    [InlineData("reflect")]
    [InlineData("edge")]
    public void PadMatchesFiniteDifferences(string mode)
    {
        var g = new TestGraph();
        // Pads [begin…, end…] over all four axes; a negative pad crops.
        var padded = mode == "constant"
            ? g.Node("Pad", [X, g.Ints(0, 0, 2, -1, 0, 1, 1, 2), g.Values([0.5])], String("mode", mode))
            : g.Node("Pad", [X, g.Ints(2, 1, 0, 2), "", g.Ints(2, 3)], String("mode", mode));
        var rows = mode == "constant" ? 8L : 7L;
        var columns = mode == "constant" ? 6L : 8L;
        var channels = mode == "constant" ? 3L : 2L;
        GradientCheck.AssertMatchesFiniteDifferences(g.Model(g.Head(g.Node("Tanh", [padded]), channels * rows * columns), 2, 5, 5));
    }

    [Fact]
    public void TransposeGatherAndCastMatchFiniteDifferences()
    {
        var g = new TestGraph();
        var t = g.Node("Transpose", [X], Ints("perm", 0, 3, 1, 2));                   // [N,5,2,5]
        var r = g.Node("Transpose", [g.Node("Reshape", [t, g.Ints(0, -1)])]);        // default perm: [50,N]
        var back = g.Node("Transpose", [r]);                                         // [N,50]
        var gathered = g.Node("Gather", [X, g.Ints(4, 0, 4)], Int("axis", -1));      // repeated index accumulates: [N,2,5,3]
        var cast = g.Node("Cast", [g.Node("Cast", [gathered], Int("to", (long)global::Onnx.TensorProto.Types.DataType.Float))],
            Int("to", (long)global::Onnx.TensorProto.Types.DataType.Double));
        var features = g.Node("Concat", [back, g.Node("Flatten", [g.Node("Mul", [cast, cast])], Int("axis", 1))], Int("axis", 1));
        var logits = g.Node("Gemm", [features, g.Random([4, 80])], Int("transB", 1));
        GradientCheck.AssertMatchesFiniteDifferences(g.Model(logits, 2, 5, 5), tolerance: 1e-3, h: 1e-3);
    }

    [Fact]
    public void ReduceMeanAndReduceSumWithAndWithoutKeepdimsMatchFiniteDifferences()
    {
        var g = new TestGraph();
        var a = g.Node("ReduceMean", [g.Node("Mul", [X, X]), g.Ints(1, -1)], Int("keepdims", 0));  // [N,5]
        var b = g.Node("ReduceSum", [g.Node("Tanh", [X]), g.Ints(2)], Int("keepdims", 1));           // [N,2,1,5]
        var identity = g.Node("ReduceSum", [X], Int("noop_with_empty_axes", 1));                      // no axes, no-op
        var c = g.Node("Flatten", [g.Node("ReduceMean", [identity, g.Ints(-3, 2, 3)], Int("keepdims", 1))], Int("axis", 1));  // [N,1]
        var d = g.Node("ReduceSum", [X, g.Ints(1)], Int("keepdims", 1));                              // [N,1,5,5]
        var features = g.Node("Concat", [a, g.Node("Flatten", [b], Int("axis", 1))], Int("axis", 1)); // [N,15]
        var shifted = g.Node("Add", [features, g.Node("Mul", [c, g.Values([2.0])])]);
        var e = g.Node("Mul", [g.Node("ReduceMean", [g.Node("Mul", [X, g.Node("Tanh", [d])]), g.Ints(1, 2, 3)], Int("keepdims", 1)), g.Values([3.0])]);  // [N,1,1,1]
        var withE = g.Node("Add", [shifted, g.Node("Flatten", [e], Int("axis", 1))]);
        GradientCheck.AssertMatchesFiniteDifferences(g.Model(g.Head(withE, 15), 2, 5, 5));
    }
}
