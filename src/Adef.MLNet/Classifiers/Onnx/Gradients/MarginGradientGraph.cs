using Onnx;
using static Adef.MLNet.Classifiers.Onnx.Gradients.GradientGraphBuilder;

namespace Adef.MLNet.Classifiers.Onnx.Gradients;

/// <summary>
/// Appends to an ONNX model the reverse-mode derivative of the classifier's margins F_t − F_c with
/// respect to the image input, built from standard ONNX operators (opset 18), so that ONNX Runtime
/// computes logits and gradients in one run.
/// </summary>
/// <remarks>
/// The cotangent seed has shape [K, N, L]: one-hot(target) − one-hot(argmax of the logits). Every
/// backward tensor carries that leading K axis in front of its forward tensor's shape, so the forward
/// pass runs once and only the backward pass is K-fold. Only nodes on a path from the input to the
/// logits are differentiated.
/// </remarks>
internal static class MarginGradientGraph
{
    /// <summary>
    /// Name of the added int64 [N, K] input: the target labels of each image. A negative entry −1 − r asks for the label
    /// at rank r of the image's own logits (sorted descending, ties: the lower label first; ONNX TopK's order).
    /// </summary>
    public const string TargetsInput = "adef_targets";

    /// <summary>Name of the added int64 [N, K] output: the targets used, with ranks replaced by the labels they chose.</summary>
    public const string ChosenTargetsOutput = "adef_chosen_targets";

    /// <summary>Name of the added output [N, K, …input shape without N]: ∇ₓ(F_t − F_c) per image and target.</summary>
    public const string GradientsOutput = "adef_margin_gradients";

    private const int OpsetVersion = 18;
    private const long MinimumIrVersion = 8;

    /// <summary>
    /// Returns a new model (the argument is not modified) whose graph has the original inputs plus
    /// <see cref="TargetsInput"/>, and outputs the logits (same name) and <see cref="GradientsOutput"/>,
    /// where gradient j of image i is ∇ₓ(F_t − F_c)(x_i) with t = targets[i, j] and c the first arg max
    /// of the logits of image i.
    /// </summary>
    /// <param name="model">A model normalised to opset 18 of the default domain.</param>
    /// <param name="inputName">Name of the image input [N, C, H, W] (float or double).</param>
    /// <param name="logitsName">Name of the logits tensor [N, L].</param>
    /// <returns>The augmented model.</returns>
    /// <exception cref="NotSupportedException">A node on the path from the input to the logits has no gradient rule.</exception>
    /// <exception cref="ArgumentException">The input or logits are missing, or the logits do not depend on the input.</exception>
    public static ModelProto Build(ModelProto model, string inputName, string logitsName)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentException.ThrowIfNullOrEmpty(inputName);
        ArgumentException.ThrowIfNullOrEmpty(logitsName);
        var result = model.Clone();
        var graph = result.Graph ?? throw new ArgumentException("The model has no graph.", nameof(model));
        var input = graph.Input.FirstOrDefault(i => i.Name == inputName)
            ?? throw new ArgumentException($"The model has no input named '{inputName}'.", nameof(inputName));
        if (graph.Input.Any(i => i.Name == TargetsInput) || graph.Node.Any(n => n.Output.Contains(TargetsInput)))
        {
            throw new ArgumentException($"The model already has a tensor named '{TargetsInput}'.", nameof(model));
        }
        var elementType = (TensorProto.Types.DataType)input.Type.TensorType.ElemType;
        if (elementType is not (TensorProto.Types.DataType.Float or TensorProto.Types.DataType.Double))
        {
            throw new NotSupportedException($"The input '{inputName}' has element type {elementType}; gradients need float or double.");
        }
        if (!graph.Node.Any(n => n.Output.Contains(logitsName)))
        {
            throw new ArgumentException($"No node of the model produces a tensor named '{logitsName}'.", nameof(logitsName));
        }
        var inputRank = input.Type.TensorType.Shape?.Dim.Count
            ?? throw new ArgumentException($"The input '{inputName}' has no shape; its rank is needed.", nameof(inputName));

        var pathNodes = PathNodes(graph, inputName, logitsName, out var active);
        foreach (var node in pathNodes)
        {
            if (node.Domain is not ("" or "ai.onnx") || !GradientRules.ByOpType.ContainsKey(node.OpType))
            {
                throw new NotSupportedException(
                    $"ONNX operator '{(node.Domain.Length > 0 ? node.Domain + "." : "")}{node.OpType}' (node '{node.Name}') lies on the path from " +
                    $"'{inputName}' to '{logitsName}' but has no gradient rule. Supported operators: " +
                    $"{string.Join(", ", GradientRules.ByOpType.Keys.Order(StringComparer.Ordinal))}.");
            }
        }

        SetOpset(result);
        graph.Input.Add(new ValueInfoProto
        {
            Name = TargetsInput,
            Type = new TypeProto
            {
                TensorType = new TypeProto.Types.Tensor
                {
                    ElemType = (int)TensorProto.Types.DataType.Int64,
                    Shape = new TensorShapeProto { Dim = { BatchDimension(input), new TensorShapeProto.Types.Dimension { DimParam = "K" } } },
                },
            },
        });

        var builder = new GradientGraphBuilder(graph, elementType, active, TargetsInput);
        builder.AddCotangent(logitsName, Seed(builder, graph, logitsName));
        foreach (var node in pathNodes)
        {
            GradientRules.ByOpType[node.OpType](builder, node);
        }
        var gradient = builder.Cotangent(inputName) ?? builder.ZerosLikeCotangent(inputName);
        var perm = new long[inputRank + 1];
        perm[0] = 1;
        perm[1] = 0;
        for (var i = 2; i <= inputRank; i++)
        {
            perm[i] = i;
        }
        var transpose = new NodeProto { OpType = "Transpose", Name = builder.FreshName("gradients"), Input = { gradient }, Output = { GradientsOutput } };
        transpose.Attribute.Add(Ints("perm", perm));
        graph.Node.Add(transpose);

        var logitsInfo = graph.Output.FirstOrDefault(o => o.Name == logitsName)?.Clone()
            ?? new ValueInfoProto { Name = logitsName, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)elementType } } };
        graph.Output.Clear();
        graph.Output.Add(logitsInfo);
        graph.Output.Add(new ValueInfoProto
        {
            Name = GradientsOutput,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)elementType } },
        });
        graph.Output.Add(new ValueInfoProto
        {
            Name = ChosenTargetsOutput,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Int64 } },
        });
        return result;
    }

    /// <summary>
    /// The nodes on a path from the input to the logits, in reverse topological order, and the active
    /// tensors: those that depend differentiably on the input and that the logits depend on.
    /// </summary>
    private static List<NodeProto> PathNodes(GraphProto graph, string inputName, string logitsName, out HashSet<string> active)
    {
        var dependent = new HashSet<string>(StringComparer.Ordinal) { inputName };
        foreach (var node in graph.Node)
        {
            if (node.Input.Any(dependent.Contains))
            {
                for (var i = 0; i < node.Output.Count; i++)
                {
                    if (node.Output[i].Length > 0 && GradientRules.IsDifferentiableOutput(node, i))
                    {
                        dependent.Add(node.Output[i]);
                    }
                }
            }
        }
        if (!dependent.Contains(logitsName))
        {
            throw new ArgumentException($"The tensor '{logitsName}' does not depend on the input '{inputName}' through differentiable operators.", nameof(logitsName));
        }
        var reached = new HashSet<string>(StringComparer.Ordinal) { logitsName };
        var path = new List<NodeProto>();
        for (var n = graph.Node.Count - 1; n >= 0; n--)
        {
            var node = graph.Node[n];
            if (!node.Output.Any(o => o.Length > 0 && reached.Contains(o)))
            {
                continue;
            }
            path.Add(node);
            foreach (var nodeInput in node.Input)
            {
                if (nodeInput.Length > 0 && dependent.Contains(nodeInput))
                {
                    reached.Add(nodeInput);
                }
            }
        }
        active = reached;
        return path;
    }

    /// <summary>
    /// The cotangent seed [K, N, L] = one-hot(targetsᵀ) − one-hot(arg max of the logits), built in int64 and cast; the
    /// targets given as ranks are chosen first (and published as <see cref="ChosenTargetsOutput"/>).
    /// </summary>
    private static string Seed(GradientGraphBuilder b, GraphProto graph, string logits)
    {
        var classes = b.Node("Shape", [logits], Int("start", 1), Int("end", 2));
        var values = b.Int64s(0, 1);
        var zero = b.Int64s(0);
        var order = b.Nodes("TopK", [logits, classes], 2, Int("axis", 1))[1];
        var ranks = b.Node("Max", [b.Node("Sub", [b.Node("Neg", [TargetsInput]), b.Int64s(1)]), zero]);
        var ranked = b.Node("GatherElements", [order, ranks], Int("axis", 1));
        var chosen = b.Node("Where", [b.Node("Less", [TargetsInput, zero]), ranked, TargetsInput]);
        graph.Node.Add(new NodeProto { OpType = "Identity", Name = b.FreshName("chosen_targets"), Input = { chosen }, Output = { ChosenTargetsOutput } });
        var targets = b.Node("Transpose", [chosen], Ints("perm", [1, 0]));
        var targetHot = b.Node("OneHot", [targets, classes, values], Int("axis", -1));
        var predicted = b.Node("ArgMax", [logits], Int("axis", 1), Int("keepdims", 0), Int("select_last_index", 0));
        var predictedHot = b.Node("OneHot", [predicted, classes, values], Int("axis", -1));
        return b.Node("Cast", [b.Node("Sub", [targetHot, predictedHot])], Int("to", (long)b.ElementType));
    }

    /// <summary>The input's batch dimension (same symbol or size), or a symbol N when it has none.</summary>
    private static TensorShapeProto.Types.Dimension BatchDimension(ValueInfoProto input)
        => input.Type.TensorType.Shape is { Dim.Count: > 0 } shape && (shape.Dim[0].HasDimParam || shape.Dim[0].HasDimValue)
            ? shape.Dim[0].Clone()
            : new TensorShapeProto.Types.Dimension { DimParam = "N" };

    private static void SetOpset(ModelProto model)
    {
        var opsets = model.OpsetImport.Where(o => o.Domain is "" or "ai.onnx").ToList();
        foreach (var opset in opsets)
        {
            model.OpsetImport.Remove(opset);
        }
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = OpsetVersion });
        if (model.IrVersion < MinimumIrVersion)
        {
            model.IrVersion = MinimumIrVersion;
        }
    }
}
