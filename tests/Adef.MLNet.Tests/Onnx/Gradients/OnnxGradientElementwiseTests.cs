using static Adef.MLNet.Tests.Onnx.Gradients.TestGraph;

namespace Adef.MLNet.Tests.Onnx.Gradients;

public class OnnxGradientElementwiseTests
{
    [Fact]
    public void IdentityDropoutReluMatchFiniteDifferences()
    {
        var g = new TestGraph();
        var h = g.Node("Identity", [X]);
        h = g.Node("Dropout", [h, g.Values([0.3])]);
        h = g.Node("Relu", [h]);
        GradientCheck.AssertMatchesFiniteDifferences(g.Model(g.Head(h, 50), 2, 5, 5));
    }

    [Fact]
    public void AddSubMulDivWithBroadcastingOnBothSidesMatchFiniteDifferences()
    {
        var g = new TestGraph();
        var a = g.Node("Add", [X, g.Random([2, 1, 1])]);                 // x [N,2,5,5] + [2,1,1]
        var b = g.Node("Mul", [g.Random([5]), a]);                       // [5] · a
        var c = g.Node("Sub", [g.Random([1, 2, 5, 1]), b]);              // constant − active
        var d = g.Node("Sub", [c, g.Node("Mul", [X, X])]);               // active − active, x used again
        var squares = g.Node("Mul", [X, X]);
        var denominator = g.Node("Add", [squares, g.Values([1.5])]);
        var e = g.Node("Div", [d, denominator]);                          // active / active
        var reduced = g.Node("ReduceMean", [X, g.Ints(2, 3)], Int("keepdims", 1));  // [N,2,1,1]
        var f = g.Node("Div", [e, g.Node("Add", [reduced, g.Values([3.0])])]);       // broadcast active denominator
        var s = g.Node("Sum", [f, g.Random([5]), g.Node("Div", [g.Random([1, 5]), g.Node("Add", [X, g.Values([2.5])])])]);
        var n = g.Node("Neg", [s]);
        GradientCheck.AssertMatchesFiniteDifferences(g.Model(g.Head(n, 50), 2, 5, 5));
    }

    [Fact]
    public void SmoothAndPiecewiseActivationsMatchFiniteDifferences()
    {
        var g = new TestGraph();
        var scaled = g.Node("Mul", [X, g.Values([5.0])]); // reach every piece of the piecewise functions
        var a = g.Node("Sigmoid", [g.Node("Mul", [scaled, g.Values([0.3])])]);
        var b = g.Node("Tanh", [g.Node("Mul", [scaled, g.Values([0.2])])]);
        var c = g.Node("HardSigmoid", [scaled], Float("alpha", 0.3), Float("beta", 0.4));
        var d = g.Node("HardSwish", [scaled]);
        var e = g.Node("LeakyRelu", [scaled], Float("alpha", 0.15));
        var f = g.Node("Clip", [scaled, g.Values([-2.0]), g.Values([1.5])]);
        var f2 = g.Node("Clip", [scaled, "", g.Values([0.5])]);
        var sum = g.Node("Sum", [a, b, c, d, e, f, f2]);
        GradientCheck.AssertMatchesFiniteDifferences(g.Model(g.Head(sum, 50), 2, 5, 5));
    }
}
