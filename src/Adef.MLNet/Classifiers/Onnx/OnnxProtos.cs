using Google.Protobuf;
using Onnx;

namespace Adef.MLNet.Classifiers.Onnx;

/// <summary>Small factories for ONNX protobuf messages (nodes, attributes, tensors, value infos).</summary>
internal static class OnnxProtos
{
    public const int FloatType = (int)TensorProto.Types.DataType.Float;
    public const int Int64Type = (int)TensorProto.Types.DataType.Int64;

    public static NodeProto Node(string opType, string name, IEnumerable<string> inputs, IEnumerable<string> outputs,
        params AttributeProto[] attributes)
    {
        var node = new NodeProto { OpType = opType, Name = name };
        node.Input.AddRange(inputs);
        node.Output.AddRange(outputs);
        node.Attribute.AddRange(attributes);
        return node;
    }

    public static AttributeProto Int(string name, long value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    public static AttributeProto Float(string name, float value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = value };

    public static AttributeProto Ints(string name, params long[] values)
    {
        var attribute = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        attribute.Ints.AddRange(values);
        return attribute;
    }

    public static AttributeProto Floats(string name, params float[] values)
    {
        var attribute = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Floats };
        attribute.Floats.AddRange(values);
        return attribute;
    }

    public static AttributeProto String(string name, string value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.String, S = ByteString.CopyFromUtf8(value) };

    /// <summary>A float tensor stored as raw little-endian bytes.</summary>
    public static TensorProto FloatTensor(string name, ReadOnlySpan<float> values, params long[] dims)
    {
        var tensor = new TensorProto { Name = name, DataType = FloatType };
        tensor.Dims.AddRange(dims);
        tensor.RawData = ByteString.CopyFrom(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values));
        return tensor;
    }

    public static TensorProto Int64Tensor(string name, ReadOnlySpan<long> values, params long[] dims)
    {
        var tensor = new TensorProto { Name = name, DataType = Int64Type };
        tensor.Dims.AddRange(dims);
        tensor.RawData = ByteString.CopyFrom(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values));
        return tensor;
    }

    /// <summary>A 1-D int64 tensor.</summary>
    public static TensorProto Int64Vector(string name, IReadOnlyCollection<long> values) =>
        Int64Tensor(name, values.ToArray(), values.Count);

    /// <summary>A tensor value info; each dimension is a <see cref="long"/> (fixed) or a <see cref="string"/> (symbolic).</summary>
    public static ValueInfoProto ValueInfo(string name, int elementType, params object[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (object dim in dims)
            shape.Dim.Add(dim switch
            {
                string symbol => new TensorShapeProto.Types.Dimension { DimParam = symbol },
                _ => new TensorShapeProto.Types.Dimension { DimValue = Convert.ToInt64(dim, System.Globalization.CultureInfo.InvariantCulture) },
            });
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = elementType, Shape = shape } },
        };
    }

    /// <summary>A model with one graph importing the default domain at <paramref name="opset"/>.</summary>
    public static ModelProto Model(GraphProto graph, long opset, long irVersion = 8)
    {
        var model = new ModelProto { IrVersion = irVersion, ProducerName = "Adef.MLNet", Graph = graph };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = opset });
        return model;
    }

    /// <summary>The int64 values of a tensor (raw or typed storage).</summary>
    public static long[] Int64Values(TensorProto tensor)
    {
        if (tensor.DataType != Int64Type) throw new ArgumentException($"Tensor '{tensor.Name}' is not int64.", nameof(tensor));
        if (tensor.RawData.Length > 0)
            return System.Runtime.InteropServices.MemoryMarshal.Cast<byte, long>(tensor.RawData.Span).ToArray();
        return tensor.Int64Data.ToArray();
    }

    /// <summary>The value of an attribute as a list of integers, or <see langword="null"/> if absent.</summary>
    public static long[]? IntsAttribute(NodeProto node, string name) =>
        node.Attribute.FirstOrDefault(a => a.Name == name) is { } attribute ? attribute.Ints.ToArray() : null;

    public static AttributeProto? Attribute(NodeProto node, string name) => node.Attribute.FirstOrDefault(a => a.Name == name);

    /// <summary>Removes the attribute called <paramref name="name"/> and returns it, or <see langword="null"/>.</summary>
    public static AttributeProto? TakeAttribute(NodeProto node, string name)
    {
        AttributeProto? attribute = Attribute(node, name);
        if (attribute is not null) node.Attribute.Remove(attribute);
        return attribute;
    }

    /// <summary>"[N, 3, 224, 224]" for a value info's tensor shape ("[?]" parts where unknown).</summary>
    public static string ShapeText(ValueInfoProto value)
    {
        TensorShapeProto? shape = value.Type?.TensorType?.Shape;
        if (shape is null) return "(unknown shape)";
        return "[" + string.Join(", ", shape.Dim.Select(DimText)) + "]";
    }

    public static string DimText(TensorShapeProto.Types.Dimension dim) =>
        dim.ValueCase switch
        {
            TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue => dim.DimValue.ToString(System.Globalization.CultureInfo.InvariantCulture),
            TensorShapeProto.Types.Dimension.ValueOneofCase.DimParam => dim.DimParam,
            _ => "?",
        };
}

/// <summary>Hands out tensor and node names not yet used in a model.</summary>
internal sealed class UniqueNames
{
    private readonly HashSet<string> _used = new(StringComparer.Ordinal);

    public UniqueNames(ModelProto model)
    {
        Collect(model.Graph);
    }

    private void Collect(GraphProto graph)
    {
        foreach (var value in graph.Input) _used.Add(value.Name);
        foreach (var value in graph.Output) _used.Add(value.Name);
        foreach (var tensor in graph.Initializer) _used.Add(tensor.Name);
        foreach (var node in graph.Node)
        {
            _used.Add(node.Name);
            foreach (string name in node.Input) _used.Add(name);
            foreach (string name in node.Output) _used.Add(name);
            foreach (var attribute in node.Attribute)
            {
                if (attribute.G is not null) Collect(attribute.G);
                foreach (var subgraph in attribute.Graphs) Collect(subgraph);
            }
        }
    }

    /// <summary>A new name starting with <paramref name="stem"/>.</summary>
    public string Next(string stem)
    {
        if (_used.Add(stem)) return stem;
        for (int i = 1; ; i++)
        {
            string candidate = $"{stem}_{i}";
            if (_used.Add(candidate)) return candidate;
        }
    }
}
