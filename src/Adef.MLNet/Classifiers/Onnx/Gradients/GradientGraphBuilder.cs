using Google.Protobuf;
using Onnx;

namespace Adef.MLNet.Classifiers.Onnx.Gradients;

/// <summary>
/// Appends nodes and constants to a graph under construction, and keeps the cotangents of the
/// forward tensors. Every cotangent carries a leading K axis in front of its forward tensor's shape.
/// </summary>
/// <remarks>
/// This file holds the builder's state and appends nodes; <c>.Cotangents</c> accumulates the cotangents and shapes
/// them (broadcast sums, scatters back to an input), <c>.Constants</c> adds constants and reads the forward graph's.
/// </remarks>
internal sealed partial class GradientGraphBuilder
{
    /// <summary>Prefix of every name this builder creates.</summary>
    public const string Prefix = "adef_grad/";

    private readonly GraphProto _graph;
    private readonly Dictionary<string, TensorProto> _constants = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<string>> _cotangents = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _shapes = new(StringComparer.Ordinal);
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _forwardConsumers = new(StringComparer.Ordinal);
    private readonly Dictionary<string, NodeProto> _producers = new(StringComparer.Ordinal);
    private readonly HashSet<string> _gatedByRelu = new(StringComparer.Ordinal);
    private int _counter;
    private string? _kDim;

    /// <summary>Creates a builder appending to <paramref name="graph"/>.</summary>
    /// <param name="graph">The graph to extend; its existing nodes are the forward pass.</param>
    /// <param name="elementType">The floating element type of the differentiated tensors.</param>
    /// <param name="active">Names of the tensors that depend on the input and that the logits depend on.</param>
    /// <param name="targetsName">Name of the int64 [N, K] targets input.</param>
    public GradientGraphBuilder(GraphProto graph, TensorProto.Types.DataType elementType, IReadOnlySet<string> active, string targetsName)
    {
        _graph = graph;
        ElementType = elementType;
        Active = active;
        TargetsName = targetsName;
        foreach (var init in graph.Initializer)
        {
            _names.Add(init.Name);
            _constants[init.Name] = init;
        }
        foreach (var input in graph.Input)
        {
            _names.Add(input.Name);
        }
        foreach (var output in graph.Output)
        {
            _forwardConsumers[output.Name] = _forwardConsumers.GetValueOrDefault(output.Name) + 1;
        }
        foreach (var node in graph.Node)
        {
            foreach (var input in node.Input)
            {
                _forwardConsumers[input] = _forwardConsumers.GetValueOrDefault(input) + 1;
            }
            foreach (var output in node.Output)
            {
                _names.Add(output);
                _producers[output] = node;
            }
            if (node.OpType == "Constant" && node.Domain is "" or "ai.onnx" && node.Output.Count == 1)
            {
                var value = ConstantNodeValue(node);
                if (value is not null)
                {
                    _constants[node.Output[0]] = value;
                }
            }
        }
    }

    /// <summary>The element type of the image input, which every cotangent shares.</summary>
    public TensorProto.Types.DataType ElementType { get; }

    /// <summary>Names of the tensors whose cotangents are computed.</summary>
    public IReadOnlySet<string> Active { get; }

    /// <summary>Name of the int64 [N, K] targets input.</summary>
    public string TargetsName { get; }

    /// <summary>A 1-D int64 tensor holding K, the number of targets per image.</summary>
    public string KDim => _kDim ??= Node("Shape", [TargetsName], Int("start", 1), Int("end", 2));

    /// <summary>
    /// Whether <paramref name="tensor"/> is the output of a forward Relu that feeds nothing but <paramref name="consumer"/>
    /// (counting graph outputs as consumers).
    /// </summary>
    /// <param name="tensor">A forward tensor.</param>
    /// <param name="consumer">The forward node that reads it.</param>
    public bool IsReluOutputOnlyFor(string tensor, NodeProto consumer)
        => _producers.TryGetValue(tensor, out var producer) && producer.OpType == "Relu" && producer.Domain is "" or "ai.onnx"
           && _forwardConsumers.GetValueOrDefault(tensor) == 1 && consumer.Input.Count(i => i == tensor) == 1;

    /// <summary>
    /// Records that the whole cotangent of <paramref name="tensor"/>, a Relu's output, is already zero wherever that output is
    /// zero, so the Relu's own mask would change nothing (see <see cref="IsGatedByRelu"/>).
    /// </summary>
    /// <param name="tensor">A Relu's output (see <see cref="IsReluOutputOnlyFor"/>).</param>
    public void MarkGatedByRelu(string tensor) => _gatedByRelu.Add(tensor);

    /// <summary>Whether <see cref="MarkGatedByRelu"/> was called for <paramref name="tensor"/>.</summary>
    /// <param name="tensor">A forward tensor.</param>
    public bool IsGatedByRelu(string tensor) => _gatedByRelu.Contains(tensor);

    /// <summary>Returns a fresh unique tensor name.</summary>
    /// <param name="hint">A readable part of the name.</param>
    public string FreshName(string hint)
    {
        string name;
        do
        {
            name = $"{Prefix}{hint}_{_counter++}";
        }
        while (!_names.Add(name));
        return name;
    }

    /// <summary>Appends a node with one output and returns the output's name.</summary>
    /// <param name="opType">Operator type in the default domain.</param>
    /// <param name="inputs">Input names; an empty string marks an omitted optional input.</param>
    /// <param name="attributes">Attributes of the node.</param>
    public string Node(string opType, string[] inputs, params AttributeProto[] attributes)
        => Nodes(opType, inputs, 1, attributes)[0];

    /// <summary>Appends a node with several outputs and returns their names.</summary>
    /// <param name="opType">Operator type in the default domain.</param>
    /// <param name="inputs">Input names; an empty string marks an omitted optional input.</param>
    /// <param name="outputCount">Number of outputs.</param>
    /// <param name="attributes">Attributes of the node.</param>
    public string[] Nodes(string opType, string[] inputs, int outputCount, params AttributeProto[] attributes)
    {
        var node = new NodeProto { OpType = opType, Name = FreshName(opType) };
        node.Input.AddRange(inputs);
        var outputs = new string[outputCount];
        for (var i = 0; i < outputCount; i++)
        {
            outputs[i] = FreshName(opType.ToLowerInvariant());
            node.Output.Add(outputs[i]);
        }
        node.Attribute.AddRange(attributes);
        _graph.Node.Add(node);
        return outputs;
    }

    /// <summary>An integer attribute.</summary>
    /// <param name="name">Attribute name.</param>
    /// <param name="value">Value.</param>
    public static AttributeProto Int(string name, long value)
        => new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    /// <summary>An integer-list attribute.</summary>
    /// <param name="name">Attribute name.</param>
    /// <param name="values">Values.</param>
    public static AttributeProto Ints(string name, IEnumerable<long> values)
    {
        var attribute = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        attribute.Ints.AddRange(values);
        return attribute;
    }

    /// <summary>A string attribute.</summary>
    /// <param name="name">Attribute name.</param>
    /// <param name="value">Value.</param>
    public static AttributeProto String(string name, string value)
        => new() { Name = name, Type = AttributeProto.Types.AttributeType.String, S = ByteString.CopyFromUtf8(value) };

    /// <summary>A tensor attribute.</summary>
    /// <param name="name">Attribute name.</param>
    /// <param name="value">Value.</param>
    public static AttributeProto Tensor(string name, TensorProto value)
        => new() { Name = name, Type = AttributeProto.Types.AttributeType.Tensor, T = value };
}
