using Onnx;

namespace Adef.MLNet.Classifiers.Onnx.Gradients;

internal static partial class GradientRules
{
    private static void BatchNormalization(GradientGraphBuilder b, NodeProto node)
    {
        if (node.GetInt("training_mode", 0) != 0 || node.Output.Count(o => o.Length > 0) > 1)
        {
            throw new NotSupportedException($"{node.Describe()} is in training mode; only inference-mode BatchNormalization has a gradient rule.");
        }
        for (var i = 1; i < node.Input.Count; i++)
        {
            RequireInactive(b, node, i);
        }
        var x = node.Input[0];
        var std = b.Node("Sqrt", [b.Node("Add", [node.Input[4], b.Scalar(node.GetFloat("epsilon", 1e-5))])]);
        var factor = b.Node("Div", [node.Input[1], std]);
        b.AddCotangent(x, b.Node("Mul", [OutputCotangent(b, node), ChannelBroadcast(b, factor, x)]));
    }

    /// <summary>Reshapes a per-channel vector [C] to [C, 1, …, 1] so that it broadcasts against x [N, C, …].</summary>
    private static string ChannelBroadcast(GradientGraphBuilder b, string vector, string x)
    {
        var rank = b.Node("Size", [b.ShapeOf(x)]);
        var spatialRank = b.Node("Reshape", [b.Node("Sub", [rank, b.Int64Scalar(2)]), b.Int64s(1)]);
        var ones = b.Node("ConstantOfShape", [spatialRank],
            GradientGraphBuilder.Tensor("value", new TensorProto { DataType = (int)TensorProto.Types.DataType.Int64, Dims = { 1 }, Int64Data = { 1 } }));
        return b.Node("Reshape", [vector, b.Node("Concat", [b.Int64s(-1), ones], GradientGraphBuilder.Int("axis", 0))]);
    }

    private static void Softmax(GradientGraphBuilder b, NodeProto node)
    {
        // dx = y·(dy − Σ dy·y) along the axis.
        var y = node.Output[0];
        var dy = OutputCotangent(b, node);
        var axis = b.Int64s(ShiftAxis(node.GetInt("axis", -1)));
        var dot = b.Node("ReduceSum", [b.Node("Mul", [dy, y]), axis], GradientGraphBuilder.Int("keepdims", 1));
        b.AddCotangent(node.Input[0], b.Node("Mul", [y, b.Node("Sub", [dy, dot])]));
    }

    private static void LogSoftmax(GradientGraphBuilder b, NodeProto node)
    {
        // dx = dy − softmax(x)·Σ dy along the axis.
        var y = node.Output[0];
        var dy = OutputCotangent(b, node);
        var axis = b.Int64s(ShiftAxis(node.GetInt("axis", -1)));
        var total = b.Node("ReduceSum", [dy, axis], GradientGraphBuilder.Int("keepdims", 1));
        b.AddCotangent(node.Input[0], b.Node("Sub", [dy, b.Node("Mul", [b.Node("Exp", [y]), total])]));
    }

    private static void LayerNormalization(GradientGraphBuilder b, NodeProto node)
    {
        // Over the axes from `axis` to the last: x̂ = (x − μ)/σ, y = x̂·scale + bias;
        // dx = (ĝ − mean(ĝ) − x̂·mean(ĝ·x̂))/σ with ĝ = dy·scale.
        if (node.Output.Count(o => o.Length > 0) > 1)
        {
            throw new NotSupportedException($"{node.Describe()}: LayerNormalization with Mean or InvStdDev outputs has no gradient rule.");
        }
        RequireInactive(b, node, 1);
        RequireInactive(b, node, 2);
        var x = node.Input[0];
        var axis = node.GetInt("axis", -1);
        // Normalised axes as negative indices, which mean the same on x and on the K-leading cotangents.
        var start = axis < 0 ? b.Int64Scalar(axis) : b.Node("Sub", [b.Int64Scalar(axis), b.Node("Size", [b.ShapeOf(x)])]);
        var axes = b.Node("Range", [start, b.Int64Scalar(0), b.Int64Scalar(1)]);
        var keep = GradientGraphBuilder.Int("keepdims", 1);
        var centred = b.Node("Sub", [x, b.Node("ReduceMean", [x, axes], keep)]);
        var variance = b.Node("ReduceMean", [b.Node("Mul", [centred, centred]), axes], keep);
        var sigma = b.Node("Sqrt", [b.Node("Add", [variance, b.Scalar(node.GetFloat("epsilon", 1e-5))])]);
        var normalised = b.Node("Div", [centred, sigma]);
        var g = b.Node("Mul", [OutputCotangent(b, node), node.Input[1]]);
        var meanG = b.Node("ReduceMean", [g, axes], keep);
        var meanGx = b.Node("ReduceMean", [b.Node("Mul", [g, normalised]), axes], keep);
        var numerator = b.Node("Sub", [b.Node("Sub", [g, meanG]), b.Node("Mul", [normalised, meanGx])]);
        b.AddCotangent(x, b.Node("Div", [numerator, sigma]));
    }
}
