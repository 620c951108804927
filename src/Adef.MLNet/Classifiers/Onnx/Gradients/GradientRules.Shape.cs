using Onnx;
using static Adef.MLNet.Classifiers.Onnx.Gradients.GradientGraphBuilder;

namespace Adef.MLNet.Classifiers.Onnx.Gradients;

internal static partial class GradientRules
{
    /// <summary>Reshape, Flatten, Squeeze, Unsqueeze: the cotangent is reshaped back to the input's shape.</summary>
    private static void ReshapeBack(GradientGraphBuilder b, NodeProto node)
    {
        RequireInactive(b, node, 1);
        var x = node.Input[0];
        b.AddCotangent(x, b.ReshapeToCotangentOf(OutputCotangent(b, node), x));
    }

    private static void Transpose(GradientGraphBuilder b, NodeProto node)
    {
        var x = node.Input[0];
        var dy = OutputCotangent(b, node);
        var perm = node.GetInts("perm");
        if (perm is null)
        {
            // Default permutation (reverse) of a rank not known here: map positions instead.
            var positions = b.Node("Transpose", [b.PositionsOf(x)]);
            b.AddCotangent(x, b.ScatterToInput(dy, positions, x, dropSlot: false));
            return;
        }
        var inverse = new long[perm.Length + 1];
        for (var i = 0; i < perm.Length; i++)
        {
            inverse[perm[i] + 1] = i + 1;
        }
        b.AddCotangent(x, b.Node("Transpose", [dy], Ints("perm", inverse)));
    }

    private static void Concat(GradientGraphBuilder b, NodeProto node)
    {
        var axis = node.GetInt("axis", 0);
        var dy = OutputCotangent(b, node);
        var axes = b.Int64s(ShiftAxis(axis));
        var start = b.Int64s(0);
        foreach (var input in node.Input)
        {
            var length = b.Node("Gather", [b.ShapeOf(input), b.Int64s(axis)]);
            var end = b.Node("Add", [start, length]);
            if (b.Active.Contains(input))
            {
                b.AddCotangent(input, b.Node("Slice", [dy, start, end, axes]));
            }
            start = end;
        }
    }

    private static void Split(GradientGraphBuilder b, NodeProto node)
    {
        RequireInactive(b, node, 1);
        var parts = node.Output.Select(o => o.Length == 0
                ? throw new NotSupportedException($"{node.Describe()}: a Split with an omitted output has no gradient rule.")
                : b.Cotangent(o) ?? b.ZerosLikeCotangent(o))
            .ToArray();
        b.AddCotangent(node.Input[0], b.Node("Concat", parts, Int("axis", ShiftAxis(node.GetInt("axis", 0)))));
    }

    private static void Slice(GradientGraphBuilder b, NodeProto node)
    {
        for (var i = 1; i < node.Input.Count; i++)
        {
            RequireInactive(b, node, i);
        }
        // Slice the map of input positions the same way, then scatter the cotangent back through it.
        var x = node.Input[0];
        var positions = b.Node("Slice", [b.PositionsOf(x), .. node.Input.Skip(1)]);
        b.AddCotangent(x, b.ScatterToInput(OutputCotangent(b, node), positions, x, dropSlot: false));
    }

    private static void Gather(GradientGraphBuilder b, NodeProto node)
    {
        RequireInactive(b, node, 1);
        var x = node.Input[0];
        var positions = b.Node("Gather", [b.PositionsOf(x), node.Input[1]], Int("axis", node.GetInt("axis", 0)));
        b.AddCotangent(x, b.ScatterToInput(OutputCotangent(b, node), positions, x, dropSlot: false));
    }

    private static void Pad(GradientGraphBuilder b, NodeProto node)
    {
        for (var i = 1; i < node.Input.Count; i++)
        {
            RequireInactive(b, node, i);
        }
        // Pad the map of input positions with the mode of the forward node; padded cells point to an
        // extra slot size(x) that is dropped (constant mode), the others (edge, reflect, wrap) to their source.
        var x = node.Input[0];
        var slot = b.Node("Size", [x]);
        var inputs = new[] { b.PositionsOf(x), node.Input[1], slot, node.InputOrEmpty(3) };
        var mode = node.Find("mode") is { } attribute ? new[] { attribute } : [];
        var positions = b.Node("Pad", inputs[3].Length > 0 ? inputs : inputs[..3], mode);
        b.AddCotangent(x, b.ScatterToInput(OutputCotangent(b, node), positions, x, dropSlot: true));
    }

    private enum Reduction
    {
        Sum,
        Mean,
        Extremum,
    }

    private static void ReduceMean(GradientGraphBuilder b, NodeProto node) => Reduce(b, node, Reduction.Mean);

    private static void ReduceSum(GradientGraphBuilder b, NodeProto node) => Reduce(b, node, Reduction.Sum);

    private static void ReduceExtremum(GradientGraphBuilder b, NodeProto node) => Reduce(b, node, Reduction.Extremum);

    private static void Reduce(GradientGraphBuilder b, NodeProto node, Reduction reduction)
    {
        RequireInactive(b, node, 1);
        var x = node.Input[0];
        var y = node.Output[0];
        var dy = OutputCotangent(b, node);
        var axes = node.InputOrEmpty(1);
        var noop = node.GetInt("noop_with_empty_axes", 0);
        if (axes.Length == 0 && noop != 0)
        {
            b.AddCotangent(x, dy);
            return;
        }
        var kept = y;
        if (node.GetInt("keepdims", 1) == 0)
        {
            // The shape with the reduced axes kept as ones: the same reduction with keepdims = 1.
            kept = b.Node(node.OpType, axes.Length > 0 ? [x, axes] : [x], Int("keepdims", 1), Int("noop_with_empty_axes", noop));
        }
        var spread = b.Node("Expand", [b.ReshapeToCotangentOf(dy, kept), b.CotangentShapeOf(x)]);
        if (reduction == Reduction.Extremum)
        {
            // The cotangent flows to the elements equal to the extremum.
            spread = b.Node("Where", [b.Node("Equal", [x, kept]), spread, b.Scalar(0)]);
        }
        if (reduction == Reduction.Mean)
        {
            var count = b.Node("CastLike", [b.Node("Div", [b.Node("Size", [x]), b.Node("Size", [y])]), b.Scalar(0)]);
            spread = b.Node("Div", [spread, count]);
        }
        b.AddCotangent(x, spread);
    }
}
