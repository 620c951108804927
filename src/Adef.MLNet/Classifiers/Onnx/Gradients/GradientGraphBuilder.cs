using System.Runtime.InteropServices;
using Google.Protobuf;
using Onnx;

namespace Adef.MLNet.Classifiers.Onnx.Gradients;

/// <summary>
/// Appends nodes and constants to a graph under construction, and keeps the cotangents of the
/// forward tensors. Every cotangent carries a leading K axis in front of its forward tensor's shape.
/// </summary>
internal sealed class GradientGraphBuilder
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

    /// <summary>Adds <paramref name="cotangent"/> to the cotangent of <paramref name="tensor"/> when that tensor is active.</summary>
    /// <param name="tensor">A forward tensor.</param>
    /// <param name="cotangent">A tensor of shape [K] + shape(<paramref name="tensor"/>).</param>
    public void AddCotangent(string tensor, string cotangent)
    {
        if (!Active.Contains(tensor))
        {
            return;
        }
        if (!_cotangents.TryGetValue(tensor, out var list))
        {
            list = [];
            _cotangents[tensor] = list;
        }
        list.Add(cotangent);
    }

    /// <summary>The accumulated cotangent of <paramref name="tensor"/>, or null when nothing flowed into it.</summary>
    /// <param name="tensor">A forward tensor.</param>
    public string? Cotangent(string tensor)
    {
        if (!_cotangents.TryGetValue(tensor, out var list) || list.Count == 0)
        {
            return null;
        }
        if (list.Count > 1)
        {
            var sum = list.Count == 2 ? Node("Add", [list[0], list[1]]) : Node("Sum", [.. list]);
            list.Clear();
            list.Add(sum);
        }
        return list[0];
    }

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

    /// <summary>A tensor of the element type holding <paramref name="values"/>, not yet added to the graph.</summary>
    /// <param name="values">Values, row-major.</param>
    /// <param name="dims">Dimensions; empty for a scalar.</param>
    public TensorProto ElementTensor(double[] values, params long[] dims)
    {
        var tensor = new TensorProto { DataType = (int)ElementType };
        tensor.Dims.AddRange(dims);
        switch (ElementType)
        {
            case TensorProto.Types.DataType.Float:
                tensor.FloatData.AddRange(values.Select(v => (float)v));
                break;
            case TensorProto.Types.DataType.Double:
                tensor.DoubleData.AddRange(values);
                break;
            default:
                throw new NotSupportedException($"Gradients of element type {ElementType} are not supported; the image input must be float or double.");
        }
        return tensor;
    }

    /// <summary>Adds an initializer of the element type and returns its name.</summary>
    /// <param name="values">Values, row-major.</param>
    /// <param name="dims">Dimensions; empty for a scalar.</param>
    public string Constant(double[] values, params long[] dims)
    {
        var tensor = ElementTensor(values, dims);
        tensor.Name = FreshName("const");
        _graph.Initializer.Add(tensor);
        return tensor.Name;
    }

    /// <summary>Adds a scalar initializer of the element type and returns its name.</summary>
    /// <param name="value">Value.</param>
    public string Scalar(double value) => Constant([value]);

    /// <summary>Adds a 1-D int64 initializer and returns its name.</summary>
    /// <param name="values">Values.</param>
    public string Int64s(params long[] values)
    {
        var tensor = new TensorProto { DataType = (int)TensorProto.Types.DataType.Int64, Name = FreshName("ints") };
        tensor.Dims.Add(values.Length);
        tensor.Int64Data.AddRange(values);
        _graph.Initializer.Add(tensor);
        return tensor.Name;
    }

    /// <summary>The 1-D int64 shape of a forward tensor (one Shape node per tensor).</summary>
    /// <param name="tensor">A tensor name.</param>
    public string ShapeOf(string tensor)
    {
        if (!_shapes.TryGetValue(tensor, out var shape))
        {
            shape = Node("Shape", [tensor]);
            _shapes[tensor] = shape;
        }
        return shape;
    }

    /// <summary>The 1-D int64 shape [K] + shape(<paramref name="tensor"/>) of the cotangent of a forward tensor.</summary>
    /// <param name="tensor">A forward tensor.</param>
    public string CotangentShapeOf(string tensor) => Node("Concat", [KDim, ShapeOf(tensor)], Int("axis", 0));

    /// <summary>Reshapes <paramref name="value"/> to [K] + shape(<paramref name="tensor"/>).</summary>
    /// <param name="value">A tensor with K·size(<paramref name="tensor"/>) elements.</param>
    /// <param name="tensor">A forward tensor.</param>
    public string ReshapeToCotangentOf(string value, string tensor) => Node("Reshape", [value, CotangentShapeOf(tensor)]);

    /// <summary>Zeros of shape [K] + shape(<paramref name="tensor"/>).</summary>
    /// <param name="tensor">A forward tensor.</param>
    public string ZerosLikeCotangent(string tensor)
        => Node("ConstantOfShape", [CotangentShapeOf(tensor)], Tensor("value", ElementTensor([0.0], 1)));

    /// <summary>Merges the leading K axis into the batch axis: [K, N, ...] → [K·N, ...].</summary>
    /// <param name="value">A cotangent.</param>
    public string FoldK(string value)
    {
        var rest = Node("Shape", [value], Int("start", 2));
        return Node("Reshape", [value, Node("Concat", [Int64s(-1), rest], Int("axis", 0))]);
    }

    /// <summary>
    /// Sums a cotangent [K] + shape(y) over the axes along which the forward broadcast expanded
    /// <paramref name="operand"/> to y (numpy rules: left-padded with ones), giving [K] + shape(<paramref name="operand"/>).
    /// For a matrix product, y's last two axes may differ from the operand's; only the batch axes are summed.
    /// </summary>
    /// <param name="cotangent">A cotangent whose axes after the first are y's broadcast shape.</param>
    /// <param name="operand">The forward operand that was broadcast.</param>
    public string Unbroadcast(string cotangent, string operand)
    {
        var full = Node("Shape", [cotangent], Int("start", 1));
        var operandShape = ShapeOf(operand);
        var rankDifference = Node("Sub", [Node("Size", [full]), Node("Size", [operandShape])]);
        var ones = Node("ConstantOfShape", [Node("Reshape", [rankDifference, Int64s(1)])],
            Tensor("value", new TensorProto { DataType = (int)TensorProto.Types.DataType.Int64, Dims = { 1 }, Int64Data = { 1 } }));
        var padded = Node("Concat", [ones, operandShape], Int("axis", 0));
        // Axes where the padded operand has size one (summing an axis of size one is harmless), shifted for K.
        var isOne = Node("Equal", [padded, Int64s(1)]);
        var axes = Node("Add", [Node("Reshape", [Node("NonZero", [isOne]), Int64s(-1)]), Int64s(1)]);
        var summed = Node("ReduceSum", [cotangent, axes], Int("keepdims", 1), Int("noop_with_empty_axes", 1));
        return ReshapeToCotangentOf(summed, operand);
    }

    /// <summary>
    /// Scatters a cotangent of a forward result y into zeros shaped like the cotangent of x, given an
    /// int64 tensor of y's shape whose entries are flat (row-major) positions in x; positions equal to
    /// size(x) are dropped when <paramref name="dropSlot"/> is set. Repeated positions accumulate.
    /// </summary>
    /// <param name="cotangent">Cotangent of y, [K] + shape(y).</param>
    /// <param name="positions">Flat positions in x, shape(y).</param>
    /// <param name="input">The forward tensor x.</param>
    /// <param name="dropSlot">Whether positions may equal size(x), meaning "no element of x".</param>
    public string ScatterToInput(string cotangent, string positions, string input, bool dropSlot)
    {
        var size = Node("Reshape", [Node("Size", [input]), Int64s(1)]);
        var width = dropSlot ? Node("Add", [size, Int64s(1)]) : size;
        var zeros = Node("ConstantOfShape", [Node("Concat", [KDim, width], Int("axis", 0))], Tensor("value", ElementTensor([0.0], 1)));
        var flatPositions = Node("Reshape", [positions, Int64s(1, -1)]);
        var indices = Node("Expand", [flatPositions, Node("Concat", [KDim, Int64s(1)], Int("axis", 0))]);
        var updates = Node("Reshape", [cotangent, Node("Concat", [KDim, Int64s(-1)], Int("axis", 0))]);
        var scattered = Node("ScatterElements", [zeros, indices, updates], Int("axis", 1), String("reduction", "add"));
        if (dropSlot)
        {
            scattered = Node("Slice", [scattered, Int64s(0), size, Int64s(1)]);
        }
        return ReshapeToCotangentOf(scattered, input);
    }

    /// <summary>An int64 tensor shaped like <paramref name="input"/> holding the row-major position of each element.</summary>
    /// <param name="input">A forward tensor.</param>
    public string PositionsOf(string input)
    {
        var size = Node("Size", [input]);
        var range = Node("Range", [Int64Scalar(0), size, Int64Scalar(1)]);
        return Node("Reshape", [range, ShapeOf(input)]);
    }

    /// <summary>Adds a scalar int64 initializer and returns its name.</summary>
    /// <param name="value">Value.</param>
    public string Int64Scalar(long value)
    {
        var tensor = new TensorProto { DataType = (int)TensorProto.Types.DataType.Int64, Name = FreshName("int") };
        tensor.Int64Data.Add(value);
        _graph.Initializer.Add(tensor);
        return tensor.Name;
    }

    /// <summary>The value of a constant (initializer or Constant node output), or null when it is not constant.</summary>
    /// <param name="name">A tensor name.</param>
    public TensorProto? ConstantValue(string name)
        => name.Length > 0 && !Active.Contains(name) && _constants.TryGetValue(name, out var value) ? value : null;

    /// <summary>The int64 (or int32) values of a constant, or null when it is not constant.</summary>
    /// <param name="name">A tensor name.</param>
    public long[]? ConstantInts(string name)
    {
        var tensor = ConstantValue(name);
        if (tensor is null)
        {
            return null;
        }
        switch ((TensorProto.Types.DataType)tensor.DataType)
        {
            case TensorProto.Types.DataType.Int64:
                return tensor.Int64Data.Count > 0
                    ? [.. tensor.Int64Data]
                    : MemoryMarshal.Cast<byte, long>(tensor.RawData.Span).ToArray();
            case TensorProto.Types.DataType.Int32:
                return tensor.Int32Data.Count > 0
                    ? [.. tensor.Int32Data.Select(v => (long)v)]
                    : [.. MemoryMarshal.Cast<byte, int>(tensor.RawData.Span).ToArray().Select(v => (long)v)];
            default:
                return null;
        }
    }

    private static TensorProto? ConstantNodeValue(NodeProto node)
    {
        foreach (var attribute in node.Attribute)
        {
            switch (attribute.Name)
            {
                case "value":
                    return attribute.T;
                case "value_int":
                    return new TensorProto { DataType = (int)TensorProto.Types.DataType.Int64, Int64Data = { attribute.I } };
                case "value_ints":
                    var tensor = new TensorProto { DataType = (int)TensorProto.Types.DataType.Int64, Dims = { attribute.Ints.Count } };
                    tensor.Int64Data.AddRange(attribute.Ints);
                    return tensor;
            }
        }
        return null;
    }
}
