using Onnx;
using static Adef.MLNet.Classifiers.Onnx.Gradients.GradientGraphBuilder;

namespace Adef.MLNet.Classifiers.Onnx.Gradients;

internal static partial class GradientRules
{
    private static void AveragePool(GradientGraphBuilder b, NodeProto node)
    {
        if (node.GetInt("ceil_mode", 0) != 0)
        {
            throw new NotSupportedException($"{node.Describe()}: AveragePool with ceil_mode = 1 has no gradient rule.");
        }
        var x = node.Input[0];
        var kernel = node.GetInts("kernel_shape")
            ?? throw new NotSupportedException($"{node.Describe()}: AveragePool needs a kernel_shape attribute.");
        var rank = kernel.Length;
        // Pool each channel separately: [K·N, C, out…] → [K·N·C, 1, out…], a one-channel ones kernel.
        var folded = b.FoldK(OutputCotangent(b, node));
        var spatial = b.Node("Shape", [folded], Int("start", 2));
        var single = b.Node("Reshape", [folded, b.Node("Concat", [b.Int64s(-1, 1), spatial], Int("axis", 0))]);
        var ones = b.Constant([.. Enumerable.Repeat(1.0, (int)kernel.Aggregate(1L, (p, k) => p * k))], [1, 1, .. kernel]);
        string divisor;
        if (node.GetInt("count_include_pad", 0) != 0)
        {
            divisor = b.Scalar(kernel.Aggregate(1L, (p, k) => p * k));
        }
        else
        {
            // The number of input (non-pad) elements in each window: the same pooling as a Conv of ones by ones.
            var onesImage = b.Node("ConstantOfShape", [b.Node("Concat", [b.Int64s(1, 1), b.Node("Shape", [x], Int("start", 2))], Int("axis", 0))],
                Tensor("value", b.ElementTensor([1.0], 1)));
            var attributes = node.Attribute.Where(a => a.Name is "strides" or "pads" or "auto_pad" or "kernel_shape" or "dilations").ToArray();
            divisor = b.Node("Conv", [onesImage, ones], attributes);
        }
        var scaled = b.Node("Div", [single, divisor]);
        var dx = ConvolutionAdjoint(b, node, scaled, ones, kernel, x, 1);
        b.AddCotangent(x, b.ReshapeToCotangentOf(dx, x));
    }

    private static void GlobalAveragePool(GradientGraphBuilder b, NodeProto node)
    {
        var x = node.Input[0];
        var count = b.Node("CastLike", [b.Node("Div", [b.Node("Size", [x]), b.Node("Size", [node.Output[0]])]), b.Scalar(0)]);
        var spread = b.Node("Expand", [OutputCotangent(b, node), b.CotangentShapeOf(x)]);
        b.AddCotangent(x, b.Node("Div", [spread, count]));
    }

    private static void GlobalMaxPool(GradientGraphBuilder b, NodeProto node)
    {
        // The cotangent flows to the elements equal to their channel's maximum.
        var x = node.Input[0];
        var selected = b.Node("Equal", [x, node.Output[0]]);
        var spread = b.Node("Expand", [OutputCotangent(b, node), b.CotangentShapeOf(x)]);
        b.AddCotangent(x, b.Node("Where", [selected, spread, b.Scalar(0)]));
    }

    private static void Lrn(GradientGraphBuilder b, NodeProto node)
    {
        // y = x·d^(−β), d = bias + α/size · Σ_window x², window of channel c = [c − lo, c + hi].
        // dx = dy·d^(−β) − (2αβ/size)·x · Σ_{j: c ∈ window(j)} dy_j·x_j·d_j^(−β−1), a window [c − hi, c + lo].
        var x = node.Input[0];
        var size = node.GetInt("size", 1);
        var alpha = node.GetFloat("alpha", 1e-4);
        var beta = node.GetFloat("beta", 0.75);
        var bias = node.GetFloat("bias", 1.0);
        var lo = (size - 1) / 2;
        var hi = size - 1 - lo;
        var squares = b.Node("Mul", [x, x]);
        var d = b.Node("Add", [b.Node("Mul", [ChannelWindowSum(b, squares, x, lo, hi), b.Scalar(alpha / size)]), b.Scalar(bias)]);
        var dy = OutputCotangent(b, node);
        var direct = b.Node("Mul", [dy, b.Node("Pow", [d, b.Scalar(-beta)])]);
        var weighted = b.Node("Mul", [b.Node("Mul", [dy, x]), b.Node("Pow", [d, b.Scalar(-beta - 1)])]);
        var spread = b.ReshapeToCotangentOf(ChannelWindowSum(b, b.FoldK(weighted), x, hi, lo), x);
        var indirect = b.Node("Mul", [b.Node("Mul", [spread, x]), b.Scalar(2 * alpha * beta / size)]);
        b.AddCotangent(x, b.Node("Sub", [direct, indirect]));
    }

    /// <summary>
    /// Sums a tensor [B, C, …] (B a multiple of the forward batch) over channel windows [c − before, c + after],
    /// zero outside, as a Conv of ones over [B, 1, C, rest]; returns [B, C, rest] reshaped to the input's shape.
    /// </summary>
    private static string ChannelWindowSum(GradientGraphBuilder b, string value, string x, long before, long after)
    {
        var channels = b.Node("Shape", [x], Int("start", 1), Int("end", 2));
        var rest = b.Node("ReduceProd", [b.Node("Shape", [x], Int("start", 2))], Int("keepdims", 1));
        var stacked = b.Node("Reshape", [value, b.Node("Concat", [b.Int64s(-1, 1), channels, rest], Int("axis", 0))]);
        var ones = b.Constant([.. Enumerable.Repeat(1.0, (int)(before + after + 1))], 1, 1, before + after + 1, 1);
        var summed = b.Node("Conv", [stacked, ones], Ints("pads", [before, 0, after, 0]));
        return b.Node("Reshape", [summed, b.Node("Shape", [value])]);
    }
}
