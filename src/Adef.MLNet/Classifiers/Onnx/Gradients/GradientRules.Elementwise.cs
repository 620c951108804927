using Onnx;

namespace Adef.MLNet.Classifiers.Onnx.Gradients;

internal static partial class GradientRules
{
    private static void PassThrough(GradientGraphBuilder b, NodeProto node)
    {
        b.AddCotangent(node.Input[0], OutputCotangent(b, node));
    }

    private static void Cast(GradientGraphBuilder b, NodeProto node)
    {
        b.AddCotangent(node.Input[0], b.Node("CastLike", [OutputCotangent(b, node), node.Input[0]]));
    }

    private static void Neg(GradientGraphBuilder b, NodeProto node)
    {
        b.AddCotangent(node.Input[0], b.Node("Neg", [OutputCotangent(b, node)]));
    }

    private static void Add(GradientGraphBuilder b, NodeProto node)
    {
        var dy = OutputCotangent(b, node);
        AddUnbroadcast(b, node, 0, dy);
        AddUnbroadcast(b, node, 1, dy);
    }

    private static void Sum(GradientGraphBuilder b, NodeProto node)
    {
        var dy = OutputCotangent(b, node);
        for (var i = 0; i < node.Input.Count; i++)
        {
            AddUnbroadcast(b, node, i, dy);
        }
    }

    private static void Sub(GradientGraphBuilder b, NodeProto node)
    {
        var dy = OutputCotangent(b, node);
        AddUnbroadcast(b, node, 0, dy);
        if (b.Active.Contains(node.Input[1]))
        {
            AddUnbroadcast(b, node, 1, b.Node("Neg", [dy]));
        }
    }

    private static void Mul(GradientGraphBuilder b, NodeProto node)
    {
        var dy = OutputCotangent(b, node);
        var (a, c) = (node.Input[0], node.Input[1]);
        if (b.Active.Contains(a))
        {
            AddUnbroadcast(b, node, 0, b.Node("Mul", [dy, c]));
        }
        if (b.Active.Contains(c))
        {
            AddUnbroadcast(b, node, 1, b.Node("Mul", [dy, a]));
        }
    }

    private static void Div(GradientGraphBuilder b, NodeProto node)
    {
        // y = a / c: da = dy / c, dc = −dy·y / c.
        var dy = OutputCotangent(b, node);
        var (a, c) = (node.Input[0], node.Input[1]);
        var quotient = b.Node("Div", [dy, c]);
        if (b.Active.Contains(a))
        {
            AddUnbroadcast(b, node, 0, quotient);
        }
        if (b.Active.Contains(c))
        {
            AddUnbroadcast(b, node, 1, b.Node("Neg", [b.Node("Mul", [quotient, node.Output[0]])]));
        }
    }

    private static void AddUnbroadcast(GradientGraphBuilder b, NodeProto node, int index, string cotangent)
    {
        var input = node.Input[index];
        if (b.Active.Contains(input))
        {
            b.AddCotangent(input, b.Unbroadcast(cotangent, input));
        }
    }

    private static void Pow(GradientGraphBuilder b, NodeProto node)
    {
        // y = a^e: da = dy·e·a^(e−1), de = dy·y·ln a.
        var dy = OutputCotangent(b, node);
        var (a, e) = (node.Input[0], node.Input[1]);
        if (b.Active.Contains(a))
        {
            var exponent = b.Node("CastLike", [e, a]);
            var slope = b.Node("Mul", [exponent, b.Node("Pow", [a, b.Node("Sub", [exponent, b.Node("CastLike", [b.Scalar(1), a])])])]);
            AddUnbroadcast(b, node, 0, b.Node("Mul", [dy, slope]));
        }
        if (b.Active.Contains(e))
        {
            AddUnbroadcast(b, node, 1, b.Node("Mul", [dy, b.Node("Mul", [node.Output[0], b.Node("Log", [a])])]));
        }
    }

    private static void Extremum(GradientGraphBuilder b, NodeProto node)
    {
        // The cotangent flows to the inputs equal to the result (the selected ones).
        var dy = OutputCotangent(b, node);
        foreach (var (input, index) in node.Input.Select((input, index) => (input, index)))
        {
            if (b.Active.Contains(input))
            {
                var selected = b.Node("Equal", [input, node.Output[0]]);
                AddUnbroadcast(b, node, index, b.Node("Where", [selected, dy, b.Scalar(0)]));
            }
        }
    }

    private static void Mean(GradientGraphBuilder b, NodeProto node)
    {
        var share = b.Node("Div", [OutputCotangent(b, node), b.Scalar(node.Input.Count)]);
        for (var i = 0; i < node.Input.Count; i++)
        {
            AddUnbroadcast(b, node, i, share);
        }
    }

    private static void Expand(GradientGraphBuilder b, NodeProto node)
    {
        RequireInactive(b, node, 1);
        AddUnbroadcast(b, node, 0, OutputCotangent(b, node));
    }

    private static void Where(GradientGraphBuilder b, NodeProto node)
    {
        RequireInactive(b, node, 0);
        var dy = OutputCotangent(b, node);
        var condition = node.Input[0];
        if (b.Active.Contains(node.Input[1]))
        {
            AddUnbroadcast(b, node, 1, b.Node("Where", [condition, dy, b.Scalar(0)]));
        }
        if (b.Active.Contains(node.Input[2]))
        {
            AddUnbroadcast(b, node, 2, b.Node("Where", [condition, b.Scalar(0), dy]));
        }
    }

    private static void Exp(GradientGraphBuilder b, NodeProto node) => Unary(b, node, node.Output[0]);

    private static void Log(GradientGraphBuilder b, NodeProto node) => Unary(b, node, b.Node("Reciprocal", [node.Input[0]]));

    private static void Sqrt(GradientGraphBuilder b, NodeProto node)
        => Unary(b, node, b.Node("Div", [b.Scalar(0.5), node.Output[0]]));

    private static void Reciprocal(GradientGraphBuilder b, NodeProto node)
        => Unary(b, node, b.Node("Neg", [b.Node("Mul", [node.Output[0], node.Output[0]])]));

    private static void Abs(GradientGraphBuilder b, NodeProto node) => Unary(b, node, b.Node("Sign", [node.Input[0]]));

    private static void Erf(GradientGraphBuilder b, NodeProto node)
    {
        var x = node.Input[0];
        var gaussian = b.Node("Exp", [b.Node("Neg", [b.Node("Mul", [x, x])])]);
        Unary(b, node, b.Node("Mul", [gaussian, b.Scalar(2 / Math.Sqrt(Math.PI))]));
    }
}
