using Google.Protobuf;
using Onnx;

namespace Adef.MLNet.Tests.Onnx.Gradients;

/// <summary>
/// Builds tiny ONNX models programmatically: input "x" [N, C, H, W] with a symbolic batch N, random
/// initializers, and an output "logits" [N, L].
/// </summary>
internal sealed class TestGraph
{
    private readonly Random _random;
    private int _counter;

    public TestGraph(int seed = 1, TensorProto.Types.DataType elementType = TensorProto.Types.DataType.Double)
    {
        _random = new Random(seed);
        ElementType = elementType;
    }

    public TensorProto.Types.DataType ElementType { get; }

    public GraphProto Graph { get; } = new() { Name = "test" };

    public const string X = "x";

    /// <summary>A random initializer with entries uniform in [−scale, scale] (+ offset).</summary>
    public string Random(long[] dims, double scale = 1.0, double offset = 0.0)
    {
        var count = (int)dims.Aggregate(1L, (p, d) => p * d);
        var values = new double[count];
        for (var i = 0; i < count; i++)
        {
            values[i] = offset + scale * (2 * _random.NextDouble() - 1);
        }
        return Values(values, dims);
    }

    /// <summary>An initializer of the element type with the given values.</summary>
    public string Values(double[] values, params long[] dims)
    {
        var tensor = new TensorProto { Name = $"init{_counter++}", DataType = (int)ElementType };
        tensor.Dims.AddRange(dims);
        if (ElementType == TensorProto.Types.DataType.Double)
        {
            tensor.DoubleData.AddRange(values);
        }
        else
        {
            tensor.FloatData.AddRange(values.Select(v => (float)v));
        }
        Graph.Initializer.Add(tensor);
        return tensor.Name;
    }

    /// <summary>A 1-D int64 initializer.</summary>
    public string Ints(params long[] values)
    {
        var tensor = new TensorProto { Name = $"ints{_counter++}", DataType = (int)TensorProto.Types.DataType.Int64 };
        tensor.Dims.Add(values.Length);
        tensor.Int64Data.AddRange(values);
        Graph.Initializer.Add(tensor);
        return tensor.Name;
    }

    /// <summary>Appends a node with one output (named after the op) and returns the output.</summary>
    public string Node(string opType, string[] inputs, params AttributeProto[] attributes)
        => Nodes(opType, inputs, 1, attributes)[0];

    /// <summary>Appends a node with several outputs.</summary>
    public string[] Nodes(string opType, string[] inputs, int outputs, params AttributeProto[] attributes)
    {
        var id = _counter++;
        var node = new NodeProto { OpType = opType, Name = $"{opType.ToLowerInvariant()}_node{id}" };
        node.Input.AddRange(inputs);
        var names = Enumerable.Range(0, outputs).Select(i => $"{opType.ToLowerInvariant()}{id}_{i}").ToArray();
        node.Output.AddRange(names);
        node.Attribute.AddRange(attributes);
        Graph.Node.Add(node);
        return names;
    }

    /// <summary>Flatten and a fully connected layer to <paramref name="classes"/> logits.</summary>
    public string Head(string tensor, long features, long classes = 4)
    {
        var flat = Node("Flatten", [tensor], Int("axis", 1));
        return Node("Gemm", [flat, Random([classes, features]), Random([classes])], Int("transB", 1));
    }

    /// <summary>The model with input x [N, C, H, W] and output "logits" = Identity(<paramref name="logits"/>).</summary>
    public ModelProto Model(string logits, long channels, long height, long width)
    {
        var graph = Graph.Clone();
        var output = new NodeProto { OpType = "Identity", Name = "logits_identity", Input = { logits }, Output = { "logits" } };
        graph.Node.Add(output);
        graph.Input.Add(new ValueInfoProto
        {
            Name = X,
            Type = new TypeProto
            {
                TensorType = new TypeProto.Types.Tensor
                {
                    ElemType = (int)ElementType,
                    Shape = new TensorShapeProto
                    {
                        Dim =
                        {
                            new TensorShapeProto.Types.Dimension { DimParam = "N" },
                            new TensorShapeProto.Types.Dimension { DimValue = channels },
                            new TensorShapeProto.Types.Dimension { DimValue = height },
                            new TensorShapeProto.Types.Dimension { DimValue = width },
                        },
                    },
                },
            },
        });
        graph.Output.Add(new ValueInfoProto { Name = "logits", Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)ElementType } } });
        var model = new ModelProto { IrVersion = 8, ProducerName = "adef-tests", Graph = graph };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 18 });
        return model;
    }

    public static AttributeProto Int(string name, long value)
        => new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    public static AttributeProto Float(string name, double value)
        => new() { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = (float)value };

    public static AttributeProto Ints(string name, params long[] values)
    {
        var attribute = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        attribute.Ints.AddRange(values);
        return attribute;
    }

    public static AttributeProto String(string name, string value)
        => new() { Name = name, Type = AttributeProto.Types.AttributeType.String, S = ByteString.CopyFromUtf8(value) };
}
