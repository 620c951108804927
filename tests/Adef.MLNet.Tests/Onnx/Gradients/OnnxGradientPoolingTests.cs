using Adef.MLNet.Classifiers.Onnx.Gradients;
using static Adef.MLNet.Tests.Onnx.Gradients.TestGraph;

namespace Adef.MLNet.Tests.Onnx.Gradients;

/// <summary>Pooling and normalisation rules. ONNX Runtime's CPU pooling kernels are float, so these run in float.</summary>
public class OnnxGradientPoolingTests
{
    private const global::Onnx.TensorProto.Types.DataType Float32 = global::Onnx.TensorProto.Types.DataType.Float;

    /// <summary>A smooth head: Tanh, sum over the last axis, linear layer to 4 classes.</summary>
    private static string SmoothHead(TestGraph g, string tensor, long channels, long rows)
    {
        var summed = g.Node("ReduceSum", [g.Node("Tanh", [tensor]), g.Ints(-1)], Int("keepdims", 0));
        return g.Head(summed, channels * rows);
    }

    [Theory]
    [InlineData(2, 2)]   // tiled windows
    [InlineData(3, 2)]   // overlapping windows (MaxPool's Indices)
    public void MaxPoolOfAReluOutputLetsTheReluSkipItsMaskWithTheSameGradients(long kernel, long stride)
    {
        // The Relu's output feeds only the MaxPool in the first model; in the second it also feeds a branch weighted by
        // zero, which keeps the Relu's own mask. Exact zeros and negative values make windows whose maximum is 0.
        double[] x = [.. Enumerable.Range(0, 2 * 2 * 36).Select(i => i % 5 == 0 ? 0.0 : Math.Sin(i * 1.3))];
        long[] targets = [1, 2, 3, 0];
        var gradients = new List<double[]>();
        foreach (var shared in new[] { false, true })
        {
            var g = new TestGraph(elementType: Float32);
            var relu = g.Node("Relu", [X]);
            var pool = g.Node("MaxPool", [relu], Ints("kernel_shape", kernel, kernel), Ints("strides", stride, stride));
            var rows = (6 - kernel) / stride + 1;
            var pooled = shared ? g.Node("Add", [pool, g.Node("Mul", [g.Node("ReduceSum", [relu], Int("keepdims", 1)), g.Values([0.0])])]) : pool;
            var model = g.Model(g.Head(pooled, 2 * rows * rows), 2, 6, 6);
            var reluMasks = MarginGradientGraph.Build(model, X, "logits").Graph.Node.Count(n => n.OpType == "Greater" && n.Input[0] == X);
            Assert.Equal(shared ? 1 : 0, reluMasks);
            gradients.Add(GradientCheck.RunAugmented(model, x, [2, 2, 6, 6], targets, 2).Gradients);
        }

        Assert.Equal(gradients[1], gradients[0]);
        Assert.Contains(gradients[0], v => v != 0);
    }

    [Theory]
    [InlineData(3, 1, 0, 0, 7, 7)]   // overlapping windows
    [InlineData(3, 2, 1, 0, 7, 8)]   // overlapping, padded
    [InlineData(2, 2, 0, 1, 7, 7)]   // ceil_mode
    [InlineData(2, 2, 0, 0, 6, 6)]   // disjoint windows tiling the input (the tiled rule)
    [InlineData(2, 2, 0, 0, 7, 7)]   // tiled, a last row and column left out (floor mode)
    [InlineData(3, 3, 0, 0, 8, 7)]   // tiled 3×3, two rows and one column left out
    public void MaxPoolMatchesFiniteDifferences(long kernel, long stride, long pad, long ceil, long height, long width)
    {
        var g = new TestGraph(elementType: Float32);
        var pool = g.Node("MaxPool", [X], Ints("kernel_shape", kernel, kernel), Ints("strides", stride, stride),
            Ints("pads", pad, pad, pad, pad), Int("ceil_mode", ceil));
        var rows = ceil == 1 ? (height + 2 * pad - kernel + stride - 1) / stride + 1 : (height + 2 * pad - kernel) / stride + 1;
        GradientCheck.AssertMatchesFiniteDifferences(g.Model(SmoothHead(g, pool, 2, rows), 2, height, width), height: height, width: width, h: 1e-3);
    }

    [Fact]
    public void MaxPoolWithRequestedIndicesOutputAlreadyPresentMatchesFiniteDifferences()
    {
        var g = new TestGraph(elementType: Float32);
        var outputs = g.Nodes("MaxPool", [X], 2, Ints("kernel_shape", 3, 3), Ints("strides", 2, 2));
        GradientCheck.AssertMatchesFiniteDifferences(g.Model(SmoothHead(g, outputs[0], 2, 3), 2, 7, 7), height: 7, width: 7, h: 1e-3);
    }

    [Fact]
    public void TiledMaxPoolSendsATiedWindowsCotangentToItsFirstMaximumAsTheIndicesRuleDoes()
    {
        // SAME_UPPER on a 6×6 input pads nothing, so both models pool alike, but only NOTSET takes the tiled rule; the
        // other goes through MaxPool's Indices and ScatterElements. Exact zeros make windows with tied maxima.
        double[] x = [.. Enumerable.Range(0, 2 * 2 * 36).Select(i => i % 5 == 0 || i % 7 < 3 ? 0.0 : Math.Sin(i))];
        long[] targets = [1, 2, 3, 0];
        var gradients = new List<double[]>();
        foreach (var autoPad in new[] { "NOTSET", "SAME_UPPER" })
        {
            var g = new TestGraph(elementType: Float32);
            var pool = g.Node("MaxPool", [X], Ints("kernel_shape", 2, 2), Ints("strides", 2, 2), String("auto_pad", autoPad));
            var model = g.Model(g.Head(pool, 2 * 3 * 3), 2, 6, 6);
            Assert.Equal(autoPad == "NOTSET", !MarginGradientGraph.Build(model, X, "logits").Graph.Node.Any(n => n.OpType == "ScatterElements"));
            gradients.Add(GradientCheck.RunAugmented(model, x, [2, 2, 6, 6], targets, 2).Gradients);
        }

        Assert.Equal(gradients[1], gradients[0]);
        // The first window of image 0, channel 0 (rows 0–1, columns 0–1) holds 0, 0, −0.28, 0: its cotangent goes to (0, 0)
        // alone. Gradients are [N, K, C, H, W]; a target equal to the image's label has a zero margin, hence the choice of k.
        int k = gradients[0].AsSpan(0, 72).ContainsAnyExcept(0.0) ? 0 : 1;
        Assert.NotEqual(0.0, gradients[0][72 * k]);
        Assert.Equal([0.0, 0.0, 0.0], new[] { gradients[0][72 * k + 1], gradients[0][72 * k + 6], gradients[0][72 * k + 7] });
    }

    [Theory]
    [InlineData(0, "NOTSET", 3, 2, 1, 7, 8)]
    [InlineData(1, "NOTSET", 3, 2, 1, 7, 8)]
    [InlineData(0, "NOTSET", 3, 1, 1, 5, 5)]
    [InlineData(1, "NOTSET", 2, 2, 0, 7, 7)]
    [InlineData(0, "SAME_UPPER", 3, 2, 0, 7, 6)]
    [InlineData(0, "SAME_LOWER", 2, 2, 0, 7, 7)]
    [InlineData(1, "VALID", 3, 2, 0, 8, 7)]
    public void AveragePoolMatchesFiniteDifferences(long countIncludePad, string autoPad, long kernel, long stride, long pad, long height, long width)
    {
        var g = new TestGraph(elementType: Float32);
        var attributes = new List<global::Onnx.AttributeProto>
        {
            Ints("kernel_shape", kernel, kernel), Ints("strides", stride, stride), Int("count_include_pad", countIncludePad), String("auto_pad", autoPad),
        };
        if (autoPad == "NOTSET")
        {
            attributes.Add(Ints("pads", pad, pad, pad, pad));
        }
        var pool = g.Node("AveragePool", [X], [.. attributes]);
        var rows = autoPad.StartsWith("SAME", StringComparison.Ordinal) ? (height + stride - 1) / stride : (height + 2 * pad - kernel) / stride + 1;
        GradientCheck.AssertMatchesFiniteDifferences(g.Model(SmoothHead(g, pool, 2, rows), 2, height, width), height: height, width: width, h: 1e-2);
    }

    [Fact]
    public void GlobalAveragePoolMatchesFiniteDifferences()
    {
        var g = new TestGraph(elementType: Float32);
        var pool = g.Node("GlobalAveragePool", [g.Node("Mul", [X, X])]);
        GradientCheck.AssertMatchesFiniteDifferences(g.Model(g.Head(pool, 2), 2, 5, 4), height: 5, width: 4, h: 1e-2);
    }

    [Fact]
    public void BatchNormalizationInInferenceModeMatchesFiniteDifferences()
    {
        var g = new TestGraph();
        var normalized = g.Node("BatchNormalization", [X, g.Random([2]), g.Random([2]), g.Random([2]), g.Random([2], 0.5, 1.0)], Float("epsilon", 1e-3));
        GradientCheck.AssertMatchesFiniteDifferences(g.Model(g.Head(g.Node("Tanh", [normalized]), 50), 2, 5, 5));
    }

    [Fact]
    public void SoftmaxAndLogSoftmaxMatchFiniteDifferences()
    {
        var g = new TestGraph();
        var a = g.Node("Softmax", [X], Int("axis", 1));
        var b = g.Node("LogSoftmax", [X]);
        var c = g.Node("Softmax", [g.Node("Mul", [X, g.Values([2.0])]), ], Int("axis", -2));
        var flat = g.Head(g.Node("Sum", [a, b, c]), 50, 6);
        var logits = g.Node("LogSoftmax", [flat], Int("axis", 1));
        GradientCheck.AssertMatchesFiniteDifferences(g.Model(logits, 2, 5, 5));
    }

    [Theory]
    [InlineData(3, 0.5, 0.75, 1.0)]
    [InlineData(5, 0.8, 0.6, 2.0)]  // ONNX Runtime accepts odd sizes only
    public void LrnMatchesFiniteDifferences(long size, double alpha, double beta, double bias)
    {
        var g = new TestGraph(elementType: Float32);
        var scaled = g.Node("Mul", [X, g.Values([2.0])]);
        var lrn = g.Node("LRN", [scaled], Int("size", size), Float("alpha", alpha), Float("beta", beta), Float("bias", bias));
        GradientCheck.AssertMatchesFiniteDifferences(g.Model(g.Head(lrn, 4 * 3 * 3), 4, 3, 3), channels: 4, height: 3, width: 3, h: 1e-2);
    }

    [Fact]
    public void GlobalMaxPoolReduceMaxAndReduceMinMatchFiniteDifferences()
    {
        var g = new TestGraph(elementType: Float32);
        var a = g.Node("Flatten", [g.Node("GlobalMaxPool", [X])], Int("axis", 1));                      // [N,2]
        var b = g.Node("ReduceMax", [X, g.Ints(2)], Int("keepdims", 0));                               // [N,2,5]
        var c = g.Node("ReduceMin", [X, g.Ints(1, 3)], Int("keepdims", 1));                            // [N,1,5,1]
        var features = g.Node("Concat", [a, g.Node("Flatten", [b], Int("axis", 1)), g.Node("Flatten", [c], Int("axis", 1))], Int("axis", 1));
        var logits = g.Node("Gemm", [g.Node("Tanh", [features]), g.Random([4, 17])], Int("transB", 1));
        GradientCheck.AssertMatchesFiniteDifferences(g.Model(logits, 2, 5, 5), h: 1e-3);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(2)]
    public void LayerNormalizationMatchesFiniteDifferences(long axis)
    {
        var g = new TestGraph(elementType: Float32);
        var scaleShape = axis == -1 ? new long[] { 5 } : [5, 5];
        var normalized = g.Node("LayerNormalization", [X, g.Random(scaleShape, 0.5, 1.0), g.Random(scaleShape)], Int("axis", axis), Float("epsilon", 1e-3));
        GradientCheck.AssertMatchesFiniteDifferences(g.Model(g.Head(g.Node("Tanh", [normalized]), 50), 2, 5, 5), h: 1e-2);
    }
}
