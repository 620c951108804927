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

    private static void MaxPool(GradientGraphBuilder b, NodeProto node)
    {
        if (node.GetInt("storage_order", 0) != 0)
        {
            throw new NotSupportedException($"{node.Describe()}: MaxPool with storage_order = 1 has no gradient rule.");
        }
        var x = node.Input[0];
        if (TilingWindowSide(node) is { } side)
        {
            b.AddCotangent(x, TiledMaxPoolAdjoint(b, node, side));
            return;
        }
        // Ask the forward node for its Indices output: flat positions in x of each window's maximum.
        if (node.Output.Count < 2)
        {
            node.Output.Add(b.FreshName("maxpool_indices"));
        }
        else if (node.Output[1].Length == 0)
        {
            node.Output[1] = b.FreshName("maxpool_indices");
        }
        b.AddCotangent(x, b.ScatterToInput(OutputCotangent(b, node), node.Output[1], x, dropSlot: false));
    }

    /// <summary>
    /// The side of the square windows of a 2-D MaxPool that tile its input without overlap, padding or dilation (strides
    /// equal to the kernel, floor mode), or null.
    /// </summary>
    private static long? TilingWindowSide(NodeProto node)
    {
        var kernel = node.GetInts("kernel_shape");
        if (kernel is not { Length: 2 } || kernel[0] != kernel[1])
        {
            return null;
        }
        var strides = node.GetInts("strides") ?? [1, 1];
        var pads = node.GetInts("pads") ?? [];
        var dilations = node.GetInts("dilations") ?? [];
        var tiles = strides.SequenceEqual(kernel) && pads.All(p => p == 0) && dilations.All(d => d == 1)
            && node.GetInt("ceil_mode", 0) == 0 && node.GetString("auto_pad", "NOTSET") is "NOTSET" or "VALID";
        return tiles ? kernel[0] : null;
    }

    /// <summary>
    /// dx of a MaxPool whose s×s windows tile x: each window's cotangent goes to its first maximal element in row-major
    /// order (the element MaxPool's Indices name). SpaceToDepth lays each window out along the channels, ArgMax picks its
    /// slot, and DepthToSpace puts the routed cotangents back, so the K-fold work is one broadcast Where and one
    /// DepthToSpace, where the general rule needs K-fold zeros, K-fold indices and a ScatterElements (ONNX Runtime's is
    /// single-threaded: with them, MaxPool's adjoint took 60 % of MNIST-A's gradient run).
    /// </summary>
    private static string TiledMaxPoolAdjoint(GradientGraphBuilder b, NodeProto node, long side)
    {
        var x = node.Input[0];
        var y = node.Output[0];
        var batch = b.Node("Shape", [y], Int("start", 0), Int("end", 1));
        var channels = b.Node("Shape", [y], Int("start", 1), Int("end", 2));
        var outputSize = b.Node("Shape", [y], Int("start", 2), Int("end", 4));
        var covered = b.Node("Mul", [outputSize, b.Int64s(side)]);
        var cropped = b.Node("Slice", [x, b.Int64s(0, 0), covered, b.Int64s(2, 3)]);     // floor mode leaves trailing rows out
        var slotsFirst = b.Node("SpaceToDepth", [cropped], Int("blocksize", side));        // [N, s²·C, Ho, Wo], slot-major
        var windows = b.Node("Reshape", [slotsFirst, b.Node("Concat", [batch, b.Int64s(side * side), channels, outputSize], Int("axis", 0))]);
        var first = b.Node("ArgMax", [windows], Int("axis", 1), Int("keepdims", 1), Int("select_last_index", 0));  // [N, 1, C, Ho, Wo]
        var slots = b.Node("Reshape", [b.Int64s([.. Enumerable.Range(0, (int)(side * side)).Select(i => (long)i)]), b.Int64s(-1, 1, 1, 1)]);
        var chosen = b.Node("Equal", [first, slots]);                                      // [N, s², C, Ho, Wo]
        var dy = b.Node("Unsqueeze", [OutputCotangent(b, node), b.Int64s(2)]);            // [K, N, 1, C, Ho, Wo]
        var routed = b.Node("Where", [chosen, dy, b.Scalar(0)]);                           // [K, N, s², C, Ho, Wo]
        var folded = b.Node("Reshape", [routed, b.Node("Concat", [b.Int64s(-1), b.Node("Mul", [channels, b.Int64s(side * side)]), outputSize], Int("axis", 0))]);
        var spread = b.Node("DepthToSpace", [folded], Int("blocksize", side), String("mode", "DCR"));  // [K·N, C, Ho·s, Wo·s]
        var dxCovered = b.Node("Reshape", [spread, b.Node("Concat", [b.KDim, batch, channels, covered], Int("axis", 0))]);
        var missing = b.Node("Sub", [b.Node("Shape", [x], Int("start", 2), Int("end", 4)), covered]);
        var pads = b.Node("Concat", [b.Int64s(0, 0, 0, 0, 0, 0, 0, 0), missing], Int("axis", 0));
        return b.Node("Pad", [dxCovered, pads]);
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
