using Onnx;

namespace Adef.MLNet.Classifiers.Onnx;

/// <summary>
/// Checks the structure of a parsed ONNX graph before anything else (ONNX Runtime's native parser included) sees
/// it: every node input is defined, no tensor is produced twice, the nodes form no cycle, and no declared tensor
/// or initializer is larger than <see cref="MaxTensorBytes"/> or inconsistent with its data. Nodes are put in
/// topological order when they were not.
/// </summary>
internal static class OnnxGraphValidator
{
    /// <summary>Largest tensor (declared shape or initializer) accepted, in bytes: 4 GiB.</summary>
    public const long MaxTensorBytes = 4L << 30;

    /// <summary>Validates <paramref name="graph"/> and its subgraphs, sorting its nodes topologically.</summary>
    /// <param name="graph">The main graph; its node list may be reordered.</param>
    /// <param name="what">The model, for messages ("ONNX model file 'x.onnx'").</param>
    /// <param name="source">The file, or null.</param>
    /// <exception cref="InvalidModelException">The graph is malformed; the message names the node or tensor.</exception>
    public static void Validate(GraphProto graph, string what, string? source) =>
        new Checker(what, source).Graph(graph, outerScope: null, sort: true);

    private sealed class Checker(string what, string? source)
    {
        private InvalidModelException Error(string message, string? node) => new($"{what}: {message}", source, nodeName: node);

        public void Graph(GraphProto graph, IReadOnlySet<string>? outerScope, bool sort)
        {
            string where = outerScope is null ? "" : $" (in subgraph '{graph.Name}')";
            var defined = new HashSet<string>(StringComparer.Ordinal);
            foreach (var input in graph.Input)
            {
                Declared(input, where);
                defined.Add(input.Name);
            }
            foreach (var tensor in graph.Initializer)
            {
                Tensor(tensor, $"initializer '{tensor.Name}'{where}", tensor.Name);
                defined.Add(tensor.Name);
            }
            foreach (var value in graph.ValueInfo) Declared(value, where);
            foreach (var output in graph.Output) Declared(output, where);

            var producer = new Dictionary<string, int>(StringComparer.Ordinal);
            for (int i = 0; i < graph.Node.Count; i++)
            {
                var node = graph.Node[i];
                foreach (string output in node.Output)
                {
                    if (output.Length == 0) continue;
                    if (producer.TryGetValue(output, out int other))
                        throw Error($"tensor '{output}' is produced by both node {Describe(graph.Node[other])} and node {Describe(node)}{where}.", node.Name);
                    if (defined.Contains(output))
                        throw Error($"node {Describe(node)}{where} produces '{output}', which is already a graph input or initializer.", node.Name);
                    producer[output] = i;
                }
            }

            var visible = new HashSet<string>(defined, StringComparer.Ordinal);
            visible.UnionWith(producer.Keys);
            if (outerScope is not null) visible.UnionWith(outerScope);
            foreach (var node in graph.Node)
            {
                foreach (string input in node.Input)
                    if (input.Length > 0 && !visible.Contains(input))
                        throw Error($"input '{input}' of node {Describe(node)}{where} is neither a graph input, an initializer nor the output of a node.", node.Name);
                foreach (var attribute in node.Attribute)
                {
                    if (attribute.T is { } t) Tensor(t, $"attribute '{attribute.Name}' of node {Describe(node)}{where}", node.Name);
                    foreach (var value in attribute.Tensors) Tensor(value, $"attribute '{attribute.Name}' of node {Describe(node)}{where}", node.Name);
                    if (attribute.G is { } g) Graph(g, visible, sort: false);
                    foreach (var subgraph in attribute.Graphs) Graph(subgraph, visible, sort: false);
                }
            }
            foreach (var output in graph.Output)
                if (!visible.Contains(output.Name))
                    throw Error($"graph output '{output.Name}'{where} is not produced by any node.", output.Name);

            var order = TopologicalOrder(graph, producer, where);
            if (sort && !order.SequenceEqual(Enumerable.Range(0, graph.Node.Count)))
            {
                var sorted = order.Select(i => graph.Node[i]).ToList();
                graph.Node.Clear();
                graph.Node.AddRange(sorted);
            }
        }

        /// <summary>Kahn's algorithm, keeping the file's order among ready nodes.</summary>
        private List<int> TopologicalOrder(GraphProto graph, Dictionary<string, int> producer, string where)
        {
            int n = graph.Node.Count;
            var pending = new int[n];
            var consumers = new List<int>[n];
            for (int i = 0; i < n; i++)
            {
                var dependencies = new HashSet<int>();
                foreach (string input in graph.Node[i].Input)
                    if (input.Length > 0 && producer.TryGetValue(input, out int p)) dependencies.Add(p);
                pending[i] = dependencies.Count;
                foreach (int p in dependencies) (consumers[p] ??= new List<int>()).Add(i);
            }
            var ready = new PriorityQueue<int, int>();
            for (int i = 0; i < n; i++) if (pending[i] == 0) ready.Enqueue(i, i);
            var order = new List<int>(n);
            while (ready.TryDequeue(out int i, out _))
            {
                order.Add(i);
                if (consumers[i] is null) continue;
                foreach (int c in consumers[i])
                    if (--pending[c] == 0) ready.Enqueue(c, c);
            }
            if (order.Count < n)
            {
                var inCycle = graph.Node[Enumerable.Range(0, n).First(i => pending[i] > 0)];
                throw Error($"the graph{where} has a cycle through node {Describe(inCycle)}; an ONNX graph must be acyclic.", inCycle.Name);
            }
            return order;
        }

        private void Declared(ValueInfoProto value, string where)
        {
            var dims = value.Type?.TensorType?.Shape?.Dim;
            if (dims is null) return;
            long count = 1;
            foreach (var dim in dims)
            {
                if (dim.ValueCase != TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue) continue;
                if (dim.DimValue < 0)
                    throw Error($"tensor '{value.Name}'{where} declares dimension {dim.DimValue}; sizes cannot be negative.", value.Name);
                count = SaturatingProduct(count, dim.DimValue);
            }
            long bytes = SaturatingProduct(count, ElementSize(value.Type!.TensorType.ElemType));
            if (bytes > MaxTensorBytes)
                throw Error($"tensor '{value.Name}'{where} declares shape [{string.Join(", ", dims.Select(OnnxProtos.DimText))}], " +
                    $"{Size(bytes)}, more than the {Size(MaxTensorBytes)} limit; the model is corrupt or too large.", value.Name);
        }

        private void Tensor(TensorProto tensor, string description, string name)
        {
            long count = 1;
            foreach (long dim in tensor.Dims)
            {
                if (dim < 0) throw Error($"{description} has dimension {dim}; sizes cannot be negative.", name);
                count = SaturatingProduct(count, dim);
            }
            int elementSize = ElementSize(tensor.DataType);
            long bytes = SaturatingProduct(count, elementSize);
            if (bytes > MaxTensorBytes)
                throw Error($"{description} has shape [{string.Join(", ", tensor.Dims)}], {Size(bytes)}, more than the " +
                    $"{Size(MaxTensorBytes)} limit; the model is corrupt or too large.", name);
            if (tensor.DataLocation == TensorProto.Types.DataLocation.External || tensor.ExternalData.Count > 0) return; // refused by the caller with advice
            var type = (TensorProto.Types.DataType)tensor.DataType;
            if (type == TensorProto.Types.DataType.Undefined)
                throw Error($"{description} has no element type.", name);
            if (type is TensorProto.Types.DataType.String) return;
            long stored = StoredCount(tensor, type, out string field);
            bool subByte = type is TensorProto.Types.DataType.Uint4 or TensorProto.Types.DataType.Int4;
            if (!tensor.RawData.IsEmpty)
            {
                long expected = subByte ? (count + 1) / 2 : bytes;
                if (tensor.RawData.Length != expected)
                    throw Error($"{description} has shape [{string.Join(", ", tensor.Dims)}] ({count} {type} elements, {expected} bytes) " +
                        $"but {tensor.RawData.Length} bytes of data.", name);
            }
            else if (stored >= 0)
            {
                long expected = type is TensorProto.Types.DataType.Complex64 or TensorProto.Types.DataType.Complex128 ? 2 * count
                    : subByte ? (count + 1) / 2 : count;
                if (stored != expected)
                    throw Error($"{description} has shape [{string.Join(", ", tensor.Dims)}] ({count} {type} elements) " +
                        $"but {stored} values in {field}.", name);
            }
        }

        /// <summary>Values in the typed field the type uses, or −1 for types this check does not know.</summary>
        private static long StoredCount(TensorProto tensor, TensorProto.Types.DataType type, out string field)
        {
            switch (type)
            {
                case TensorProto.Types.DataType.Float:
                case TensorProto.Types.DataType.Complex64:
                    field = "float_data";
                    return tensor.FloatData.Count;
                case TensorProto.Types.DataType.Double:
                case TensorProto.Types.DataType.Complex128:
                    field = "double_data";
                    return tensor.DoubleData.Count;
                case TensorProto.Types.DataType.Int64:
                    field = "int64_data";
                    return tensor.Int64Data.Count;
                case TensorProto.Types.DataType.Uint32:
                case TensorProto.Types.DataType.Uint64:
                    field = "uint64_data";
                    return tensor.Uint64Data.Count;
                case TensorProto.Types.DataType.Int32:
                case TensorProto.Types.DataType.Int16:
                case TensorProto.Types.DataType.Int8:
                case TensorProto.Types.DataType.Uint16:
                case TensorProto.Types.DataType.Uint8:
                case TensorProto.Types.DataType.Bool:
                case TensorProto.Types.DataType.Float16:
                case TensorProto.Types.DataType.Bfloat16:
                    field = "int32_data";
                    return tensor.Int32Data.Count;
                default:
                    field = "";
                    return -1;
            }
        }

        private static int ElementSize(int dataType) => (TensorProto.Types.DataType)dataType switch
        {
            TensorProto.Types.DataType.Double or TensorProto.Types.DataType.Int64 or TensorProto.Types.DataType.Uint64
                or TensorProto.Types.DataType.Complex64 => 8,
            TensorProto.Types.DataType.Complex128 => 16,
            TensorProto.Types.DataType.Int16 or TensorProto.Types.DataType.Uint16 or TensorProto.Types.DataType.Float16
                or TensorProto.Types.DataType.Bfloat16 => 2,
            TensorProto.Types.DataType.Int8 or TensorProto.Types.DataType.Uint8 or TensorProto.Types.DataType.Bool
                or TensorProto.Types.DataType.Int4 or TensorProto.Types.DataType.Uint4
                or TensorProto.Types.DataType.Float8E4M3Fn or TensorProto.Types.DataType.Float8E4M3Fnuz
                or TensorProto.Types.DataType.Float8E5M2 or TensorProto.Types.DataType.Float8E5M2Fnuz => 1,
            _ => 4,
        };

        private static long SaturatingProduct(long a, long b) =>
            a == 0 || b == 0 ? 0 : a > long.MaxValue / b ? long.MaxValue : a * b;

        private static string Size(long bytes) =>
            bytes == long.MaxValue ? "more than 2^63 bytes" : bytes >= 1L << 30 ? $"{bytes / (double)(1L << 30):0.#} GiB ({bytes} bytes)" : $"{bytes} bytes";

        private static string Describe(NodeProto node) => $"'{node.Name}' ({node.OpType})";
    }
}
