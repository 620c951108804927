using Onnx;
using static Adef.MLNet.Classifiers.Onnx.OnnxProtos;

namespace Adef.MLNet.Classifiers.Onnx;

/// <summary>
/// Rewrites a model of the default ONNX domain at opset 7–17 into its opset-18 form, so that later stages
/// (the gradient builder) know one version of each operator. Covers the operators whose signature changed
/// between those opsets and that image classifiers use: attributes that became inputs (Clip, Squeeze,
/// Unsqueeze, Slice, Pad, Split, the Reduce family, Dropout, TopK), removed attributes
/// (BatchNormalization's <c>spatial</c>/<c>is_test</c>, Dropout's <c>is_test</c>), the opset-13 change of
/// Softmax/LogSoftmax/Hardmax semantics (rewritten as Flatten → op → Reshape), Upsample and Resize-10
/// (→ Resize-18, asymmetric coordinates), Scatter (→ ScatterElements) and ImageScaler (→ Mul, Add).
/// </summary>
/// <remarks>
/// Models already at opset 18 or newer are returned unchanged (as a copy). Operators of other domains
/// are left as they are. An operator this class does not know how to upgrade and whose old form differs
/// from its opset-18 form raises <see cref="NotSupportedException"/> naming the node.
/// </remarks>
internal static class OpsetUpgrade
{
    /// <summary>The opset of the default domain that upgraded models import.</summary>
    public const long TargetOpset = 18;

    /// <summary>The oldest opset accepted (numpy-style broadcasting and the current Gemm start at 7).</summary>
    public const long OldestOpset = 7;

    private static readonly HashSet<string> ReduceOpsWithAxesInputAt18 = new(StringComparer.Ordinal)
    {
        "ReduceL1", "ReduceL2", "ReduceLogSum", "ReduceLogSumExp", "ReduceMax", "ReduceMean", "ReduceMin", "ReduceProd",
        "ReduceSumSquare",
    };

    private static readonly HashSet<string> ExperimentalOps = new(StringComparer.Ordinal)
    {
        "Affine", "Crop", "DynamicSlice", "GivenTensorFill", "ParametricSoftplus", "ScaledTanh",
    };

    /// <summary>The opset version of the default domain that <paramref name="model"/> imports.</summary>
    /// <exception cref="NotSupportedException">The model imports no default-domain opset.</exception>
    public static long DefaultOpset(ModelProto model)
    {
        foreach (var import in model.OpsetImport)
            if (import.Domain is "" or "ai.onnx")
                return import.Version;
        throw new NotSupportedException("The model imports no opset of the default ONNX domain.");
    }

    /// <summary>Returns a copy of <paramref name="model"/> rewritten to opset 18 (see the class remarks).</summary>
    /// <exception cref="NotSupportedException">The opset is older than 7, or a node cannot be upgraded; the message names it.</exception>
    public static ModelProto ToOpset18(ModelProto model)
    {
        ArgumentNullException.ThrowIfNull(model);
        ModelProto upgraded = model.Clone();
        long version = DefaultOpset(upgraded);
        if (version >= TargetOpset) return upgraded;
        if (version < OldestOpset)
            throw new NotSupportedException(
                $"The model uses opset {version} of the default ONNX domain; opsets older than {OldestOpset} are not supported. " +
                "Convert it to a newer opset first (Python: onnx.version_converter.convert_version(model, 13)).");
        var names = new UniqueNames(upgraded);
        UpgradeGraph(upgraded.Graph, version, names);
        foreach (var import in upgraded.OpsetImport)
            if (import.Domain is "" or "ai.onnx")
                import.Version = TargetOpset;
        // Opset 18 needs IR version 8 or newer.
        if (upgraded.IrVersion < 8) upgraded.IrVersion = 8;
        return upgraded;
    }

    private static void UpgradeGraph(GraphProto graph, long version, UniqueNames names)
    {
        var nodes = graph.Node.ToList();
        var used = new HashSet<string>(StringComparer.Ordinal);
        foreach (var node in nodes) foreach (string input in node.Input) used.Add(input);
        foreach (var output in graph.Output) used.Add(output.Name);

        graph.Node.Clear();
        foreach (var node in nodes)
        {
            foreach (var attribute in node.Attribute)
            {
                if (attribute.G is not null) UpgradeGraph(attribute.G, version, names);
                foreach (var subgraph in attribute.Graphs) UpgradeGraph(subgraph, version, names);
            }
            if (node.Domain is not ("" or "ai.onnx"))
            {
                graph.Node.Add(node);
                continue;
            }
            var rewrite = new Rewrite(graph, node, version, names);
            graph.Node.AddRange(rewrite.Apply(used));
        }
    }

    /// <summary>The upgrade of one node: returns the node(s) that replace it and adds initializers to the graph.</summary>
    private readonly struct Rewrite(GraphProto graph, NodeProto node, long version, UniqueNames names)
    {
        private string Stem => string.IsNullOrEmpty(node.Name) ? node.OpType : node.Name;

        public IEnumerable<NodeProto> Apply(HashSet<string> used)
        {
            if (ExperimentalOps.Contains(node.OpType))
                throw Refuse($"{node.OpType} is an experimental operator that was removed from ONNX");
            switch (node.OpType)
            {
                case "Clip" when version < 11:
                    AttributeProto? min = TakeAttribute(node, "min"), max = TakeAttribute(node, "max");
                    if (min is not null || max is not null)
                        node.Input.Add(min is null ? "" : ScalarInitializer("min", min.F));
                    if (max is not null)
                        node.Input.Add(ScalarInitializer("max", max.F));
                    break;
                case "Squeeze" or "Unsqueeze" when version < 13:
                    MoveIntsToInput("axes");
                    break;
                case "Slice" when version < 10:
                    long[] starts = IntsAttribute(node, "starts") ?? throw Refuse("it has no 'starts' attribute");
                    long[] ends = IntsAttribute(node, "ends") ?? throw Refuse("it has no 'ends' attribute");
                    long[]? axes = IntsAttribute(node, "axes");
                    foreach (string name in new[] { "starts", "ends", "axes" }) TakeAttribute(node, name);
                    node.Input.Add(VectorInitializer("starts", starts));
                    node.Input.Add(VectorInitializer("ends", ends));
                    if (axes is not null) node.Input.Add(VectorInitializer("axes", axes));
                    break;
                case "Pad" when version < 11:
                    long[] pads = IntsAttribute(node, "pads") ?? throw Refuse("it has no 'pads' attribute");
                    TakeAttribute(node, "pads");
                    AttributeProto? value = TakeAttribute(node, "value");
                    node.Input.Add(VectorInitializer("pads", pads));
                    if (value is not null && value.F != 0) node.Input.Add(ScalarInitializer("value", value.F));
                    break;
                case "Split":
                    if (version < 13 && IntsAttribute(node, "split") is { } split)
                    {
                        TakeAttribute(node, "split");
                        node.Input.Add(VectorInitializer("split", split));
                    }
                    if (node.Input.Count < 2 || node.Input[1].Length == 0)
                    {
                        while (node.Input.Count > 1) node.Input.RemoveAt(node.Input.Count - 1);
                        if (Attribute(node, "num_outputs") is null) node.Attribute.Add(Int("num_outputs", node.Output.Count));
                    }
                    break;
                case "ReduceSum" when version < 13:
                case var op when ReduceOpsWithAxesInputAt18.Contains(op):
                    MoveIntsToInput("axes");
                    break;
                case "Dropout" when version < 12:
                    TakeAttribute(node, "is_test");
                    if (TakeAttribute(node, "ratio") is { } ratio) node.Input.Add(ScalarInitializer("ratio", ratio.F));
                    break;
                case "BatchNormalization":
                    if (version < 9 && TakeAttribute(node, "spatial") is { I: 0 })
                        throw Refuse("it normalises per activation (spatial = 0), which opset 9 and later cannot express");
                    TakeAttribute(node, "is_test");
                    if (version < 14) TrimUnusedOutputs(used, "BatchNormalization in inference has a single output");
                    break;
                case "Softmax" or "LogSoftmax" or "Hardmax" when version < 13:
                    return CoercedTo2D();
                case "Upsample":
                case "Resize" when version < 11:
                    return AsymmetricResize();
                case "TopK" when version < 10:
                    long k = Attribute(node, "k")?.I ?? throw Refuse("it has no 'k' attribute");
                    TakeAttribute(node, "k");
                    node.Input.Add(VectorInitializer("k", new[] { k }));
                    break;
                case "Scatter":
                    node.OpType = "ScatterElements";
                    break;
                case "ImageScaler":
                    return ImageScalerAsMulAdd();
            }
            return new[] { node };
        }

        private void MoveIntsToInput(string attribute)
        {
            if (IntsAttribute(node, attribute) is not { } values) return;
            TakeAttribute(node, attribute);
            node.Input.Add(VectorInitializer(attribute, values));
        }

        private void TrimUnusedOutputs(HashSet<string> used, string why)
        {
            for (int i = node.Output.Count - 1; i >= 1; i--)
            {
                if (node.Output[i].Length > 0 && used.Contains(node.Output[i]))
                    throw Refuse($"its output '{node.Output[i]}' is used, but {why}");
                node.Output.RemoveAt(i);
            }
        }

        /// <summary>Opset 1–12 Softmax semantics: flatten to 2-D at <c>axis</c>, apply, restore the shape.</summary>
        private IEnumerable<NodeProto> CoercedTo2D()
        {
            long axis = Attribute(node, "axis")?.I ?? 1;
            string input = node.Input[0], output = node.Output[0];
            string flat = names.Next(Stem + "_flat"), applied = names.Next(Stem + "_2d"), shape = names.Next(Stem + "_shape");
            return new[]
            {
                Node("Flatten", names.Next(Stem + "_flatten"), new[] { input }, new[] { flat }, Int("axis", axis)),
                Node(node.OpType, names.Next(Stem), new[] { flat }, new[] { applied }, Int("axis", 1)),
                Node("Shape", names.Next(Stem + "_shapeof"), new[] { input }, new[] { shape }),
                Node("Reshape", names.Next(Stem + "_restore"), new[] { applied, shape }, new[] { output }),
            };
        }

        /// <summary>Upsample (7, 9) and Resize-10: a Resize-18 with asymmetric coordinates and floor rounding.</summary>
        private IEnumerable<NodeProto> AsymmetricResize()
        {
            string mode = Attribute(node, "mode") is { } m ? m.S.ToStringUtf8() : "nearest";
            if (mode is "bilinear") mode = "linear";
            if (mode is not ("nearest" or "linear"))
                throw Refuse($"its mode '{mode}' has no Resize equivalent");
            string scales;
            if (node.Input.Count >= 2 && node.Input[1].Length > 0)
                scales = node.Input[1];
            else if (Attribute(node, "scales") is { } attribute)
                scales = Initializer(FloatTensor(names.Next(Stem + "_scales"), attribute.Floats.ToArray(), attribute.Floats.Count));
            else
                throw Refuse("it has no scales");
            return new[]
            {
                Node("Resize", string.IsNullOrEmpty(node.Name) ? names.Next("Resize") : node.Name,
                    new[] { node.Input[0], "", scales }, new[] { node.Output[0] },
                    OnnxProtos.String("mode", mode), OnnxProtos.String("coordinate_transformation_mode", "asymmetric"),
                    OnnxProtos.String("nearest_mode", "floor")),
            };
        }

        /// <summary>ImageScaler (opset 1–9, removed later): <c>scale·x + bias[c]</c>.</summary>
        private IEnumerable<NodeProto> ImageScalerAsMulAdd()
        {
            float scale = Attribute(node, "scale")?.F ?? 1f;
            float[] bias = Attribute(node, "bias")?.Floats.ToArray() ?? Array.Empty<float>();
            string scaled = names.Next(Stem + "_scaled");
            string scaleName = ScalarInitializer("scale", scale);
            string biasName = Initializer(FloatTensor(names.Next(Stem + "_bias"), bias, 1, bias.Length, 1, 1));
            return new[]
            {
                Node("Mul", names.Next(Stem + "_mul"), new[] { node.Input[0], scaleName }, new[] { scaled }),
                Node("Add", names.Next(Stem + "_add"), new[] { scaled, biasName }, new[] { node.Output[0] }),
            };
        }

        private string ScalarInitializer(string what, float value) =>
            Initializer(FloatTensor(names.Next($"{Stem}_{what}"), new[] { value }));

        private string VectorInitializer(string what, long[] values) =>
            Initializer(Int64Vector(names.Next($"{Stem}_{what}"), values));

        private string Initializer(TensorProto tensor)
        {
            graph.Initializer.Add(tensor);
            return tensor.Name;
        }

        private NotSupportedException Refuse(string why) =>
            new($"Node '{node.Name}' ({node.OpType}, opset {version}) cannot be upgraded to opset {TargetOpset}: {why}.");
    }
}
