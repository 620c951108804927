using Onnx;

namespace Adef.MLNet.Classifiers.Onnx.Gradients;

/// <summary>
/// Emits the backward nodes of one forward node: reads the cotangents of its outputs and adds
/// cotangents for its active inputs (all with a leading K axis).
/// </summary>
/// <param name="builder">The graph builder holding the cotangents.</param>
/// <param name="node">The forward node.</param>
internal delegate void GradientRule(GradientGraphBuilder builder, NodeProto node);

/// <summary>The reverse-mode rules, one per ONNX operator (default domain, opset 18).</summary>
internal static partial class GradientRules
{
    /// <summary>Rules by operator type.</summary>
    public static IReadOnlyDictionary<string, GradientRule> ByOpType { get; } = new Dictionary<string, GradientRule>(StringComparer.Ordinal)
    {
        ["Identity"] = PassThrough,
        ["Dropout"] = PassThrough,
        ["Cast"] = Cast,
        ["Relu"] = Relu,
        ["LeakyRelu"] = LeakyRelu,
        ["Clip"] = Clip,
        ["Sigmoid"] = Sigmoid,
        ["Tanh"] = Tanh,
        ["HardSigmoid"] = HardSigmoid,
        ["HardSwish"] = HardSwish,
        ["Neg"] = Neg,
        ["Add"] = Add,
        ["Sub"] = Sub,
        ["Mul"] = Mul,
        ["Div"] = Div,
        ["Sum"] = Sum,
        ["MatMul"] = MatMul,
        ["Gemm"] = Gemm,
        ["Conv"] = Conv,
        ["MaxPool"] = MaxPool,
        ["AveragePool"] = AveragePool,
        ["GlobalAveragePool"] = GlobalAveragePool,
        ["BatchNormalization"] = BatchNormalization,
        ["Softmax"] = Softmax,
        ["LogSoftmax"] = LogSoftmax,
        ["Reshape"] = ReshapeBack,
        ["Flatten"] = ReshapeBack,
        ["Squeeze"] = ReshapeBack,
        ["Unsqueeze"] = ReshapeBack,
        ["Transpose"] = Transpose,
        ["Concat"] = Concat,
        ["Split"] = Split,
        ["Slice"] = Slice,
        ["Gather"] = Gather,
        ["Pad"] = Pad,
        ["ReduceMean"] = ReduceMean,
        ["ReduceSum"] = ReduceSum,
        ["LRN"] = Lrn,
        ["Exp"] = Exp,
        ["Log"] = Log,
        ["Sqrt"] = Sqrt,
        ["Reciprocal"] = Reciprocal,
        ["Abs"] = Abs,
        ["Erf"] = Erf,
        ["Pow"] = Pow,
        ["Softplus"] = Softplus,
        ["Elu"] = Elu,
        ["Max"] = Extremum,
        ["Min"] = Extremum,
        ["Mean"] = Mean,
        ["Expand"] = Expand,
        ["ReduceMax"] = ReduceExtremum,
        ["ReduceMin"] = ReduceExtremum,
        ["GlobalMaxPool"] = GlobalMaxPool,
        ["Where"] = Where,
        ["LayerNormalization"] = LayerNormalization,
    };

    /// <summary>
    /// Operators whose outputs carry no gradient (shapes, indices, comparisons, constants): they cut
    /// the dependency on the input.
    /// </summary>
    public static IReadOnlySet<string> NonDifferentiable { get; } = new HashSet<string>(StringComparer.Ordinal)
    {
        "Shape", "Size", "ArgMax", "ArgMin", "Equal", "Greater", "GreaterOrEqual", "Less", "LessOrEqual",
        "Not", "And", "Or", "Xor", "NonZero", "IsNaN", "IsInf", "Sign", "Floor", "Ceil", "Round",
        "Constant", "ConstantOfShape", "EyeLike", "RandomNormalLike", "RandomUniformLike", "Range",
    };

    /// <summary>Whether output <paramref name="index"/> of <paramref name="node"/> can carry a gradient.</summary>
    /// <param name="node">A forward node.</param>
    /// <param name="index">Output index.</param>
    public static bool IsDifferentiableOutput(NodeProto node, int index)
    {
        if (NonDifferentiable.Contains(node.OpType))
        {
            return false;
        }
        return node.OpType switch
        {
            "Cast" => IsFloating(node.GetInt("to", 0)),
            "MaxPool" or "Dropout" or "BatchNormalization" or "TopK" => index == 0,
            _ => true,
        };
    }

    private static bool IsFloating(long dataType)
        => (TensorProto.Types.DataType)dataType is TensorProto.Types.DataType.Float or TensorProto.Types.DataType.Double
            or TensorProto.Types.DataType.Float16 or TensorProto.Types.DataType.Bfloat16;

    /// <summary>Throws when input <paramref name="index"/> of the node is active: the rule has no gradient for it.</summary>
    private static void RequireInactive(GradientGraphBuilder b, NodeProto node, int index)
    {
        var input = node.InputOrEmpty(index);
        if (input.Length > 0 && b.Active.Contains(input))
        {
            throw new NotSupportedException(
                $"The gradient of {node.Describe()} with respect to its input {index} ('{input}') is not supported: that input depends on the image input.");
        }
    }

    private static string OutputCotangent(GradientGraphBuilder b, NodeProto node)
        => b.Cotangent(node.Output[0])
           ?? throw new InvalidOperationException($"No cotangent reached the output of {node.Describe()}.");

    /// <summary>Shifts a forward axis to the cotangent's axes (leading K axis); negative axes are unchanged.</summary>
    private static long ShiftAxis(long axis) => axis >= 0 ? axis + 1 : axis;

    private static void PassThrough(GradientGraphBuilder b, NodeProto node)
    {
        b.AddCotangent(node.Input[0], OutputCotangent(b, node));
    }

    private static void Cast(GradientGraphBuilder b, NodeProto node)
    {
        b.AddCotangent(node.Input[0], b.Node("CastLike", [OutputCotangent(b, node), node.Input[0]]));
    }

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

    /// <summary>Adds dy·slope to the cotangent of input 0, for elementwise unary operators.</summary>
    private static void Unary(GradientGraphBuilder b, NodeProto node, string slope)
    {
        b.AddCotangent(node.Input[0], b.Node("Mul", [OutputCotangent(b, node), slope]));
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

    private static void Softplus(GradientGraphBuilder b, NodeProto node) => Unary(b, node, b.Node("Sigmoid", [node.Input[0]]));

    private static void Elu(GradientGraphBuilder b, NodeProto node)
    {
        // x > 0: 1; otherwise y + α.
        var x = node.Input[0];
        var negative = b.Node("Add", [node.Output[0], b.Scalar(node.GetFloat("alpha", 1.0))]);
        Unary(b, node, b.Node("Where", [b.Node("Greater", [x, b.Scalar(0)]), b.Scalar(1), negative]));
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
