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

    [Theory]
    [InlineData("Exp")]
    [InlineData("Log")]
    [InlineData("Sqrt")]
    [InlineData("Reciprocal")]
    [InlineData("Abs")]
    [InlineData("Erf")]
    [InlineData("Pow")]
    [InlineData("PowActiveExponent")]
    [InlineData("Softplus")]
    [InlineData("Elu")]
    public void UnaryFunctionMatchesFiniteDifferences(string function)
    {
        var g = new TestGraph(elementType: global::Onnx.TensorProto.Types.DataType.Float); // no double Erf in ONNX Runtime
        var positive = g.Node("Add", [g.Node("Mul", [X, X]), g.Values([0.5])]);
        var scaled = g.Node("Mul", [X, g.Values([3.0])]);
        var term = function switch
        {
            "Exp" => g.Node("Exp", [g.Node("Mul", [X, g.Values([0.5])])]),
            "Log" or "Sqrt" or "Reciprocal" => g.Node(function, [positive]),
            "Pow" => g.Node("Pow", [positive, g.Values([1.7])]),
            "PowActiveExponent" => g.Node("Pow", [g.Values([1.3]), X]),
            "Softplus" => g.Node("Softplus", [scaled]),
            "Elu" => g.Node("Elu", [scaled], Float("alpha", 0.7)),
            _ => g.Node(function, [X]),
        };
        // Abs and Elu (α ≠ 1) have kinks at 0: a smaller step crosses them less often.
        GradientCheck.AssertMatchesFiniteDifferences(g.Model(g.Head(term, 50), 2, 5, 5), h: function is "Abs" or "Elu" ? 1e-3 : 1e-2);
    }

    [Fact]
    public void MaxMinMeanAndExpandMatchFiniteDifferences()
    {
        var g = new TestGraph(elementType: global::Onnx.TensorProto.Types.DataType.Float); // no double Erf or Mean in ONNX Runtime
        var tanh = g.Node("Tanh", [X]);
        var max = g.Node("Max", [X, g.Random([5]), g.Node("Mul", [tanh, g.Values([0.9])])]);
        var min = g.Node("Min", [X, g.Random([2, 1, 1])]);
        var mean = g.Node("Mean", [max, min, g.Random([1, 5])]);
        var pooled = g.Node("ReduceMean", [X, g.Ints(1)], Int("keepdims", 1));                 // [N,1,5,5]
        var expanded = g.Node("Expand", [pooled, g.Ints(1, 2, 1, 1)]);                         // [N,2,5,5]
        GradientCheck.AssertMatchesFiniteDifferences(g.Model(g.Head(g.Node("Add", [mean, expanded]), 50), 2, 5, 5), h: 1e-2);
    }

    [Fact]
    public void WhereWithBroadcastingMatchesFiniteDifferences()
    {
        var g = new TestGraph();
        var condition = g.Node("Greater", [X, g.Random([5])]);                                   // depends on x: no gradient
        var chosen = g.Node("Where", [condition, g.Node("Mul", [X, X]), g.Node("Tanh", [g.Node("ReduceSum", [X, g.Ints(1)], Int("keepdims", 1))])]);
        var constant = g.Node("Where", [g.Node("Less", [g.Random([2, 1, 1]), g.Values([0.0])]), g.Random([5]), X]);
        GradientCheck.AssertMatchesFiniteDifferences(g.Model(g.Head(g.Node("Add", [chosen, constant]), 50), 2, 5, 5), h: 1e-6);
    }
}
