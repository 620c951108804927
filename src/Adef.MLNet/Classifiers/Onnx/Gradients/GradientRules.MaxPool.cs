using Onnx;
using static Adef.MLNet.Classifiers.Onnx.Gradients.GradientGraphBuilder;

namespace Adef.MLNet.Classifiers.Onnx.Gradients;

internal static partial class GradientRules
{
    private static void MaxPool(GradientGraphBuilder b, NodeProto node)
    {
        if (node.GetInt("storage_order", 0) != 0)
        {
            throw new NotSupportedException($"{node.Describe()}: MaxPool with storage_order = 1 has no gradient rule.");
        }
        var x = node.Input[0];
        // Pooling a Relu's output: a window whose maximum is 0 routes its cotangent to an element the Relu zeroed, where the
        // Relu's adjoint would discard it. Dropping it here (an N-fold mask, y > 0) lets the Relu's rule skip its K-fold Where.
        var gate = b.IsReluOutputOnlyFor(x, node) ? b.Node("Greater", [node.Output[0], b.Scalar(0)]) : null;
        if (gate is not null)
        {
            b.MarkGatedByRelu(x);
        }
        if (TilingWindowSide(node) is { } side)
        {
            b.AddCotangent(x, TiledMaxPoolAdjoint(b, node, side, gate));
            return;
        }
        // Other windows: ask the forward node for its Indices output (flat positions in x of each window's maximum) and
        // scatter the cotangent there. That output makes ONNX Runtime's MaxPool slower, but locating the maxima in the graph
        // instead (windows cut out of x by strided Slices or SpaceToDepth, then routed back) costs more than it saves.
        if (node.Output.Count < 2)
        {
            node.Output.Add(b.FreshName("maxpool_indices"));
        }
        else if (node.Output[1].Length == 0)
        {
            node.Output[1] = b.FreshName("maxpool_indices");
        }
        var positions = gate is null ? node.Output[1] : b.Node("Where", [gate, node.Output[1], b.Node("Size", [x])]);  // size(x): the slot ScatterToInput drops
        b.AddCotangent(x, b.ScatterToInput(OutputCotangent(b, node), positions, x, dropSlot: gate is not null));
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
    /// order (the element MaxPool's Indices name). SpaceToDepth lays each window out along the channels and ArgMax picks
    /// its slot, giving (N-fold) a mask of the chosen elements; the cotangent, spread over its windows by a nearest-neighbour
    /// Resize, passes where the mask is set. The K-fold work is a Resize and a Where, which costs less than the general
    /// rule's K-fold zeros, indices and ScatterElements, and less than routing the masked cotangents back through
    /// DepthToSpace. A <c>gate</c> (an N-fold mask over the output) keeps the windows outside it from routing anything.
    /// </summary>
    private static string TiledMaxPoolAdjoint(GradientGraphBuilder b, NodeProto node, long side, string? gate)
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
        var isFirst = b.Node("Equal", [first, slots]);                                     // [N, s², C, Ho, Wo]
        if (gate is not null)
        {
            isFirst = b.Node("And", [isFirst, b.Node("Unsqueeze", [gate, b.Int64s(1)])]);
        }
        var chosen = b.Node("CastLike", [isFirst, x]);
        var chosenInPlace = b.Node("DepthToSpace", [b.Node("Reshape", [chosen, b.ShapeOf(slotsFirst)])], Int("blocksize", side), String("mode", "DCR"));
        var mask = b.Node("Greater", [chosenInPlace, b.Scalar(0)]);                        // [N, C, Ho·s, Wo·s]
        var spreadDy = b.Node("Resize", [b.FoldK(OutputCotangent(b, node)), "", b.Node("Constant", [], Tensor("value", OnnxProtos.FloatTensor("", [1, 1, side, side], 4)))],
            String("mode", "nearest"), String("coordinate_transformation_mode", "asymmetric"), String("nearest_mode", "floor"));
        var spreadK = b.Node("Reshape", [spreadDy, b.Node("Concat", [b.KDim, batch, channels, covered], Int("axis", 0))]);
        var dxCovered = b.Node("Where", [mask, spreadK, b.Scalar(0)]);                     // [K, N, C, Ho·s, Wo·s]
        var missing = b.Node("Sub", [b.Node("Shape", [x], Int("start", 2), Int("end", 4)), covered]);
        var pads = b.Node("Concat", [b.Int64s(0, 0, 0, 0, 0, 0, 0, 0), missing], Int("axis", 0));
        return b.Node("Pad", [dxCovered, pads]);
    }
}
