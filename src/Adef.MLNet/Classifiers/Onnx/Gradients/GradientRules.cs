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
/// <remarks>
/// This file holds the rule table and the helpers every rule uses; the rules themselves sit in one file per operator
/// family: <c>.Elementwise</c> (arithmetic with broadcasting, unary math), <c>.Activations</c>, <c>.Normalization</c>
/// (batch and layer normalisation, softmax), <c>.Linear</c> (MatMul, Gemm, Conv), <c>.Pooling</c> and
/// <c>.MaxPool</c>, and <c>.Shape</c> (reshaping, slicing, reductions). Where a rule picks one of several equivalent
/// graphs for speed, docs/onnx-gradients.md has the measurements and the forms not kept.
/// </remarks>
internal static partial class GradientRules
{
    /// <summary>Rules by operator type.</summary>
    public static IReadOnlyDictionary<string, GradientRule> ByOpType { get; } = new Dictionary<string, GradientRule>(StringComparer.Ordinal)
    {
        // Elementwise
        ["Identity"] = PassThrough,
        ["Dropout"] = PassThrough,
        ["Cast"] = Cast,
        ["Neg"] = Neg,
        ["Add"] = Add,
        ["Sub"] = Sub,
        ["Mul"] = Mul,
        ["Div"] = Div,
        ["Sum"] = Sum,
        ["Pow"] = Pow,
        ["Max"] = Extremum,
        ["Min"] = Extremum,
        ["Mean"] = Mean,
        ["Expand"] = Expand,
        ["Where"] = Where,
        ["Exp"] = Exp,
        ["Log"] = Log,
        ["Sqrt"] = Sqrt,
        ["Reciprocal"] = Reciprocal,
        ["Abs"] = Abs,
        ["Erf"] = Erf,
        // Activations
        ["Relu"] = Relu,
        ["LeakyRelu"] = LeakyRelu,
        ["Clip"] = Clip,
        ["Sigmoid"] = Sigmoid,
        ["Tanh"] = Tanh,
        ["HardSigmoid"] = HardSigmoid,
        ["HardSwish"] = HardSwish,
        ["Softplus"] = Softplus,
        ["Elu"] = Elu,
        // Normalization
        ["BatchNormalization"] = BatchNormalization,
        ["LayerNormalization"] = LayerNormalization,
        ["Softmax"] = Softmax,
        ["LogSoftmax"] = LogSoftmax,
        // Linear
        ["MatMul"] = MatMul,
        ["Gemm"] = Gemm,
        ["Conv"] = Conv,
        // Pooling, MaxPool
        ["MaxPool"] = MaxPool,
        ["AveragePool"] = AveragePool,
        ["GlobalAveragePool"] = GlobalAveragePool,
        ["GlobalMaxPool"] = GlobalMaxPool,
        ["LRN"] = Lrn,
        // Shape
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
        ["ReduceMax"] = ReduceExtremum,
        ["ReduceMin"] = ReduceExtremum,
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

    /// <summary>Adds dy·slope to the cotangent of input 0, for elementwise unary operators.</summary>
    private static void Unary(GradientGraphBuilder b, NodeProto node, string slope)
    {
        b.AddCotangent(node.Input[0], b.Node("Mul", [OutputCotangent(b, node), slope]));
    }
}
