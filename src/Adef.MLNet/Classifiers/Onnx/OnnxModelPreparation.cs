using Onnx;
using static Adef.MLNet.Classifiers.Onnx.OnnxProtos;

namespace Adef.MLNet.Classifiers.Onnx;

/// <summary>A model made ready for <see cref="OnnxClassifier"/>: one image input, one 2-D logits output.</summary>
/// <param name="Model">The forward model at its original opset.</param>
/// <param name="Upgraded">The forward model at opset 18 (what the gradient builder needs), or null when <see cref="UpgradeError"/> says why not.</param>
/// <param name="InputName">The image input, float [N, C, H, W] with N symbolic.</param>
/// <param name="LogitsName">The only graph output, float [N, L].</param>
/// <param name="InputShape">C, H, W.</param>
/// <param name="ClassCount">L when the graph declares it, else <see langword="null"/> (find it by running the model).</param>
/// <param name="Warnings">Things the user should know (softmax output accepted, batch made symbolic, ...).</param>
/// <param name="UpgradeError">Why the model could not be upgraded to opset 18 (gradients then fail with it), or null.</param>
internal sealed record PreparedOnnxModel(
    ModelProto Model, ModelProto? Upgraded, string InputName, string LogitsName, ImageShape InputShape, int? ClassCount,
    IReadOnlyList<string> Warnings, NotSupportedException? UpgradeError);

/// <summary>
/// Chooses the image input and the logits tensor, makes the batch dimension symbolic, keeps only the nodes
/// the logits need, flattens the logits to N×L and upgrades the result to opset 18.
/// </summary>
internal static class OnnxModelPreparation
{
    private const string BatchSymbol = "N";

    private static readonly HashSet<string> ShapeOnlyOps = new(StringComparer.Ordinal)
    {
        "Identity", "Reshape", "Flatten", "Squeeze", "Unsqueeze",
    };

    /// <param name="original">The model as read; not modified.</param>
    /// <param name="options">Input and output choices.</param>
    /// <param name="source">The file, for messages; null for a model given as bytes.</param>
    /// <exception cref="InvalidModelException">The model does not fit (the message says why).</exception>
    public static PreparedOnnxModel Prepare(ModelProto original, OnnxClassifierOptions options, string? source)
    {
        string what = source is null ? "the ONNX model" : $"ONNX model '{source}'";
        try
        {
            return PrepareChecked(original, options, source, what);
        }
        catch (Exception e) when (e is NullReferenceException or IndexOutOfRangeException or ArgumentException
                                      or InvalidCastException or OverflowException or KeyNotFoundException or FormatException
                                      or InvalidOperationException)
        {
            // A hostile graph that passed validation but breaks an assumption of the preparation (a Constant without
            // a value, an attribute of the wrong kind, ...): report it as the model error it is.
            throw new InvalidModelException($"{Capitalised(what)} could not be prepared: its graph is malformed ({e.GetType().Name}: {e.Message}).", source, e);
        }
    }

    private static PreparedOnnxModel PrepareChecked(ModelProto original, OnnxClassifierOptions options, string? source, string what)
    {
        ModelProto model = original.Clone();
        GraphProto graph = model.Graph;
        var warnings = new List<string>();
        var names = new UniqueNames(model);

        // Initializers listed as inputs (IR version < 4) are weights, not inputs the classifier feeds.
        var initializers = graph.Initializer.Select(t => t.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var input in graph.Input.Where(i => initializers.Contains(i.Name)).ToList()) graph.Input.Remove(input);

        ValueInfoProto image = ResolveInput(graph, options.InputName, what, source);
        (ImageShape shape, bool batchWasOne) = ResolveImageShape(image, what, source);

        var producers = new Dictionary<string, NodeProto>(StringComparer.Ordinal);
        foreach (var node in graph.Node) foreach (string output in node.Output) producers[output] = node;

        string logits = ResolveLogits(graph, producers, options.LogitsOutputName, what, source);
        if (SoftmaxProducer(logits, producers) is { } softmax)
        {
            string feeding = softmax.Input[0];
            if (!options.AllowSoftmaxOutput)
                throw new InvalidModelException(
                    $"Output '{logits}' of {what} is produced by {softmax.OpType} node '{softmax.Name}': it holds probabilities, not logits. " +
                    $"ADef and DeepFool need the logits: set OnnxClassifierOptions.LogitsOutputName = \"{feeding}\" (the tensor that " +
                    $"feeds the {softmax.OpType}), or set AllowSoftmaxOutput = true to attack the probabilities anyway.", source);
            warnings.Add(
                $"Output '{logits}' is produced by {softmax.OpType} node '{softmax.Name}'; the classifier returns probabilities " +
                $"instead of logits. Use LogitsOutputName = \"{feeding}\" to attack the logits.");
        }

        ValueInfoProto logitsInfo = graph.Output.FirstOrDefault(o => o.Name == logits)
            ?? graph.ValueInfo.FirstOrDefault(v => v.Name == logits)?.Clone()
            ?? new ValueInfoProto { Name = logits, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = FloatType } } };
        if (logitsInfo.Type?.TensorType is { } declared && declared.ElemType != FloatType && declared.ElemType != 0)
            throw new InvalidModelException(
                $"Output '{logits}' of {what} has element type {(TensorProto.Types.DataType)declared.ElemType}; logits must be float32.", source);
        graph.Output.Clear();
        graph.Output.Add(logitsInfo);

        if (batchWasOne)
        {
            MakeReshapesBatchFree(graph, names);
            warnings.Add($"Input '{image.Name}' had a fixed batch of 1; the batch dimension was made symbolic. Reshape nodes " +
                "with a leading 1 in a constant target shape were changed to -1.");
        }
        // Shapes recorded for intermediate tensors may carry the old batch size; ONNX Runtime infers them again.
        if (batchWasOne) graph.ValueInfo.Clear();

        logits = FlattenLogits(graph, logitsInfo, names, image.Type.TensorType.Shape.Dim[0].DimParam);
        int? classCount = DeclaredClassCount(graph.Output[0]);

        Prune(graph, image.Name, what, source);

        ModelProto? upgraded = null;
        NotSupportedException? upgradeError = null;
        try
        {
            upgraded = OpsetUpgrade.ToOpset18(model);
        }
        catch (NotSupportedException e)
        {
            upgradeError = e;
        }
        return new PreparedOnnxModel(model, upgraded, image.Name, logits, shape, classCount, warnings, upgradeError);
    }

    private static ValueInfoProto ResolveInput(GraphProto graph, string? requested, string what, string? source)
    {
        string Listing() => string.Join(", ", graph.Input.Select(i =>
            $"'{i.Name}' {ElementTypeName(i)} {ShapeText(i)}"));
        if (requested is not null)
            return graph.Input.FirstOrDefault(i => i.Name == requested)
                ?? throw new InvalidModelException(
                    $"{Capitalised(what)} has no input named '{requested}'. Its inputs are: {Listing()}.", source);
        var floats = graph.Input.Where(i => i.Type?.TensorType?.ElemType == FloatType).ToList();
        if (floats.Count == 1) return floats[0];
        throw new InvalidModelException(
            floats.Count == 0
                ? $"{Capitalised(what)} has no float32 input for images. Its inputs are: {Listing()}."
                : $"{Capitalised(what)} has several float32 inputs; set OnnxClassifierOptions.InputName to the image input. Its inputs are: {Listing()}.",
            source);
    }

    private static (ImageShape Shape, bool BatchWasOne) ResolveImageShape(ValueInfoProto image, string what, string? source)
    {
        var tensor = image.Type?.TensorType;
        if (tensor is null || tensor.ElemType != FloatType)
            throw new InvalidModelException(
                $"Input '{image.Name}' of {what} has element type {ElementTypeName(image)}; images must be float32.", source);
        var dims = tensor.Shape?.Dim;
        string Problem(string why) =>
            $"Input '{image.Name}' of {what} has shape {ShapeText(image)}; {why}. The classifier needs images of shape " +
            "[N, C, H, W] with C, H and W fixed and the batch N symbolic or 1.";
        if (dims is null || dims.Count != 4)
            throw new InvalidModelException(Problem("it is not a 4-D tensor"), source);
        int[] chw = new int[3];
        for (int d = 1; d < 4; d++)
        {
            var dim = dims[d];
            if (dim.ValueCase != TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue || dim.DimValue < 1 || dim.DimValue > int.MaxValue)
                throw new InvalidModelException(Problem($"dimension {d} ({DimText(dim)}) is not a fixed positive size"), source);
            chw[d - 1] = (int)dim.DimValue;
        }
        var batch = dims[0];
        bool wasOne = false;
        if (batch.ValueCase == TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue)
        {
            if (batch.DimValue != 1)
                throw new InvalidModelException(Problem($"its batch is fixed at {batch.DimValue}"), source);
            wasOne = true;
            batch.DimParam = BatchSymbol;
        }
        else if (batch.ValueCase == TensorShapeProto.Types.Dimension.ValueOneofCase.None)
        {
            batch.DimParam = BatchSymbol;
        }
        return (new ImageShape(chw[0], chw[1], chw[2]), wasOne);
    }

    private static string ResolveLogits(GraphProto graph, Dictionary<string, NodeProto> producers, string? requested, string what, string? source)
    {
        string Listing() => string.Join(", ", graph.Output.Select(o => $"'{o.Name}' {ShapeText(o)}"));
        if (requested is not null)
        {
            if (graph.Output.Any(o => o.Name == requested) || producers.ContainsKey(requested)) return requested;
            throw new InvalidModelException(
                $"{Capitalised(what)} has no tensor named '{requested}' (LogitsOutputName). Its outputs are: {Listing()}.", source);
        }
        if (graph.Output.Count == 1) return graph.Output[0].Name;
        var logits = graph.Output.Where(o => SoftmaxProducer(o.Name, producers) is null).ToList();
        if (logits.Count == 1) return logits[0].Name;
        throw new InvalidModelException(
            $"{Capitalised(what)} has several outputs; set OnnxClassifierOptions.LogitsOutputName to the one holding the logits. " +
            $"Its outputs are: {Listing()}.", source);
    }

    /// <summary>The Softmax or LogSoftmax node that produces <paramref name="tensor"/>, looking through shape-only nodes.</summary>
    private static NodeProto? SoftmaxProducer(string tensor, Dictionary<string, NodeProto> producers)
    {
        for (int depth = 0; depth < 16 && producers.TryGetValue(tensor, out var node); depth++)
        {
            if (node.OpType is "Softmax" or "LogSoftmax") return node;
            if (!ShapeOnlyOps.Contains(node.OpType) || node.Input.Count == 0) return null;
            tensor = node.Input[0];
        }
        return null;
    }

    /// <summary>
    /// For a model whose batch was fixed at 1: a constant Reshape target [1, d₁, …] (no −1, no 0) becomes [−1, d₁, …].
    /// This is exact for batch 1 and lets the batch through for tensors that carry it first (the ONNX zoo MNIST's
    /// [1, 256]); for weights reshaped to a leading 1 the −1 resolves to 1 again.
    /// </summary>
    private static void MakeReshapesBatchFree(GraphProto graph, UniqueNames names)
    {
        var initializers = graph.Initializer.ToDictionary(t => t.Name, StringComparer.Ordinal);
        var constants = new Dictionary<string, TensorProto>(StringComparer.Ordinal);
        foreach (var node in graph.Node)
            if (node.OpType == "Constant" && Attribute(node, "value") is { T: { } value }) constants[node.Output[0]] = value;
        foreach (var node in graph.Node.Where(n => n.OpType == "Reshape" && n.Input.Count >= 2))
        {
            if (!initializers.TryGetValue(node.Input[1], out var target) && !constants.TryGetValue(node.Input[1], out target)) continue;
            if (target.DataType != Int64Type) continue;
            long[] values = Int64Values(target);
            if (values.Length < 2 || values[0] != 1 || values.Any(v => v <= 0)) continue;
            values[0] = -1;
            var replacement = Int64Vector(names.Next(node.Input[1] + "_batch"), values);
            graph.Initializer.Add(replacement);
            node.Input[1] = replacement.Name;
        }
        foreach (var output in graph.Output)
            if (output.Type?.TensorType?.Shape is { Dim.Count: > 0 } shape && shape.Dim[0].DimValue == 1)
                shape.Dim[0].DimParam = BatchSymbol;
    }

    /// <summary>Appends Flatten(axis 1) unless the logits are declared 2-D; returns the name of the N×L output.</summary>
    private static string FlattenLogits(GraphProto graph, ValueInfoProto logits, UniqueNames names, string batchSymbol)
    {
        var dims = logits.Type?.TensorType?.Shape?.Dim;
        if (dims is { Count: 2 }) return logits.Name;
        string flat = names.Next("adef_logits");
        graph.Node.Add(Node("Flatten", names.Next("adef_flatten_logits"), new[] { logits.Name }, new[] { flat }, Int("axis", 1)));
        object[] shape = dims is { Count: > 1 } && dims.Skip(1).All(d => d.ValueCase == TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue)
            ? new object[] { batchSymbol, dims.Skip(1).Aggregate(1L, (p, d) => p == 0 || d.DimValue <= long.MaxValue / p ? p * d.DimValue : long.MaxValue) }
            : new object[] { batchSymbol, "L" };
        graph.Output.Clear();
        graph.Output.Add(ValueInfo(flat, FloatType, shape));
        return flat;
    }

    private static int? DeclaredClassCount(ValueInfoProto logits)
    {
        var dims = logits.Type?.TensorType?.Shape?.Dim;
        if (dims is not { Count: 2 } || dims[1].ValueCase != TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue) return null;
        return (int)Math.Min(dims[1].DimValue, int.MaxValue);
    }

    /// <summary>Keeps only the nodes, initializers and inputs the single graph output needs.</summary>
    private static void Prune(GraphProto graph, string imageInput, string what, string? source)
    {
        var needed = new HashSet<string>(graph.Output.Select(o => o.Name), StringComparer.Ordinal);
        var kept = new List<NodeProto>();
        for (int i = graph.Node.Count - 1; i >= 0; i--)
        {
            var node = graph.Node[i];
            if (!node.Output.Any(needed.Contains)) continue;
            kept.Add(node);
            foreach (string input in node.Input) if (input.Length > 0) needed.Add(input);
            foreach (var attribute in node.Attribute)
            {
                if (attribute.G is not null) AddSubgraphNames(attribute.G, needed);
                foreach (var subgraph in attribute.Graphs) AddSubgraphNames(subgraph, needed);
            }
        }
        kept.Reverse();
        graph.Node.Clear();
        graph.Node.AddRange(kept);
        foreach (var tensor in graph.Initializer.Where(t => !needed.Contains(t.Name)).ToList()) graph.Initializer.Remove(tensor);
        foreach (var input in graph.Input.Where(i => !needed.Contains(i.Name)).ToList()) graph.Input.Remove(input);
        if (!needed.Contains(imageInput))
            throw new InvalidModelException($"The logits '{graph.Output[0].Name}' of {what} do not depend on the image input '{imageInput}'.", source);
        var others = graph.Input.Where(i => i.Name != imageInput).Select(i => $"'{i.Name}'").ToList();
        if (others.Count > 0)
            throw new InvalidModelException(
                $"The logits of {what} need inputs besides the images ('{imageInput}'): {string.Join(", ", others)}. " +
                "Only models with a single image input are supported.", source);
    }

    private static void AddSubgraphNames(GraphProto graph, HashSet<string> names)
    {
        foreach (var node in graph.Node)
        {
            foreach (string input in node.Input) if (input.Length > 0) names.Add(input);
            foreach (var attribute in node.Attribute)
            {
                if (attribute.G is not null) AddSubgraphNames(attribute.G, names);
                foreach (var subgraph in attribute.Graphs) AddSubgraphNames(subgraph, names);
            }
        }
    }

    private static string ElementTypeName(ValueInfoProto value) =>
        value.Type?.TensorType is { } t ? ((TensorProto.Types.DataType)t.ElemType).ToString().ToLowerInvariant() : "(not a tensor)";

    private static string Capitalised(string text) => char.ToUpperInvariant(text[0]) + text[1..];
}
