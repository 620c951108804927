using Onnx;

namespace Adef.MLNet.Classifiers.Onnx.Gradients;

internal static partial class GradientRules
{
    private static void Relu(GradientGraphBuilder b, NodeProto node)
    {
        var x = node.Input[0];
        if (b.IsGatedByRelu(node.Output[0]))
        {
            // The cotangent is already zero where the output is zero, i.e. where x ≤ 0: the mask below would change nothing.
            b.AddCotangent(x, OutputCotangent(b, node));
            return;
        }
        var positive = b.Node("Greater", [x, b.Scalar(0)]);
        b.AddCotangent(x, b.Node("Where", [positive, OutputCotangent(b, node), b.Scalar(0)]));
    }

    private static void LeakyRelu(GradientGraphBuilder b, NodeProto node)
    {
        var x = node.Input[0];
        var dy = OutputCotangent(b, node);
        var positive = b.Node("Greater", [x, b.Scalar(0)]);
        var scaled = b.Node("Mul", [dy, b.Scalar(node.GetFloat("alpha", 0.01))]);
        b.AddCotangent(x, b.Node("Where", [positive, dy, scaled]));
    }

    private static void Clip(GradientGraphBuilder b, NodeProto node)
    {
        RequireInactive(b, node, 1);
        RequireInactive(b, node, 2);
        var x = node.Input[0];
        var min = node.InputOrEmpty(1);
        var max = node.InputOrEmpty(2);
        string? inside = null;
        if (min.Length > 0)
        {
            inside = b.Node("GreaterOrEqual", [x, min]);
        }
        if (max.Length > 0)
        {
            var belowMax = b.Node("LessOrEqual", [x, max]);
            inside = inside is null ? belowMax : b.Node("And", [inside, belowMax]);
        }
        var dy = OutputCotangent(b, node);
        b.AddCotangent(x, inside is null ? dy : b.Node("Where", [inside, dy, b.Scalar(0)]));
    }

    private static void Sigmoid(GradientGraphBuilder b, NodeProto node)
    {
        var y = node.Output[0];
        var slope = b.Node("Mul", [y, b.Node("Sub", [b.Scalar(1), y])]);
        b.AddCotangent(node.Input[0], b.Node("Mul", [OutputCotangent(b, node), slope]));
    }

    private static void Tanh(GradientGraphBuilder b, NodeProto node)
    {
        var y = node.Output[0];
        var slope = b.Node("Sub", [b.Scalar(1), b.Node("Mul", [y, y])]);
        b.AddCotangent(node.Input[0], b.Node("Mul", [OutputCotangent(b, node), slope]));
    }

    private static void HardSigmoid(GradientGraphBuilder b, NodeProto node)
    {
        var x = node.Input[0];
        var alpha = node.GetFloat("alpha", 0.2);
        var beta = node.GetFloat("beta", 0.5);
        var z = b.Node("Add", [b.Node("Mul", [x, b.Scalar(alpha)]), b.Scalar(beta)]);
        var inside = b.Node("And", [b.Node("Greater", [z, b.Scalar(0)]), b.Node("Less", [z, b.Scalar(1)])]);
        var scaled = b.Node("Mul", [OutputCotangent(b, node), b.Scalar(alpha)]);
        b.AddCotangent(x, b.Node("Where", [inside, scaled, b.Scalar(0)]));
    }

    private static void HardSwish(GradientGraphBuilder b, NodeProto node)
    {
        // y = x·max(0, min(1, x/6 + 1/2)); dy/dx = 0 below −3, 1 above 3, x/3 + 1/2 between.
        var x = node.Input[0];
        var middle = b.Node("Add", [b.Node("Div", [x, b.Scalar(3)]), b.Scalar(0.5)]);
        var upper = b.Node("Where", [b.Node("Greater", [x, b.Scalar(3)]), b.Scalar(1), middle]);
        var slope = b.Node("Where", [b.Node("Less", [x, b.Scalar(-3)]), b.Scalar(0), upper]);
        b.AddCotangent(x, b.Node("Mul", [OutputCotangent(b, node), slope]));
    }

    private static void Softplus(GradientGraphBuilder b, NodeProto node) => Unary(b, node, b.Node("Sigmoid", [node.Input[0]]));

    private static void Elu(GradientGraphBuilder b, NodeProto node)
    {
        // x > 0: 1; otherwise y + α.
        var x = node.Input[0];
        var negative = b.Node("Add", [node.Output[0], b.Scalar(node.GetFloat("alpha", 1.0))]);
        Unary(b, node, b.Node("Where", [b.Node("Greater", [x, b.Scalar(0)]), b.Scalar(1), negative]));
    }
}
