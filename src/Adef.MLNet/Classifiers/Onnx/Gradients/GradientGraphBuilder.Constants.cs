using System.Runtime.InteropServices;
using Onnx;

namespace Adef.MLNet.Classifiers.Onnx.Gradients;

internal sealed partial class GradientGraphBuilder
{
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
