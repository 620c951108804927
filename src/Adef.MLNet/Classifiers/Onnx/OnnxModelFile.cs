using Google.Protobuf;
using Onnx;

namespace Adef.MLNet.Classifiers.Onnx;

/// <summary>Reads ONNX model files into protobuf messages, with errors that name the file.</summary>
internal static class OnnxModelFile
{
    /// <summary>Reads the model at <paramref name="path"/>.</summary>
    /// <exception cref="InvalidModelException">The file is missing, unreadable, not an ONNX model, or stores tensors outside itself.</exception>
    public static ModelProto Read(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path))
            throw new InvalidModelException($"ONNX model file '{path}' does not exist.", path);
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InvalidModelException($"ONNX model file '{path}' could not be read: {e.Message}", path, e);
        }
        return Parse(bytes, path);
    }

    /// <summary>Parses a serialised model; <paramref name="source"/> names it in error messages (a path, or null for "bytes").</summary>
    /// <exception cref="InvalidModelException">
    /// The bytes are not an ONNX model, the model stores tensors outside itself, or its graph is malformed (see <see cref="OnnxGraphValidator"/>).
    /// </exception>
    public static ModelProto Parse(ReadOnlySpan<byte> bytes, string? source)
    {
        string what = source is null ? "The ONNX model bytes" : $"ONNX model file '{source}'";
        if (bytes.IsEmpty)
            throw new InvalidModelException(source is null ? "The ONNX model bytes are empty." : $"ONNX model file '{source}' is empty.", source);
        ModelProto model;
        try
        {
            model = ModelProto.Parser.ParseFrom(bytes);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new InvalidModelException(
                $"{what} could not be parsed as an ONNX model (protobuf error: {e.Message}). The file may be truncated or not an ONNX file.",
                source, e);
        }
        if (model.Graph is null || model.Graph.Node.Count == 0)
            throw new InvalidModelException($"{what} contains no graph: it is not an ONNX model, or it is truncated.", source);
        if (model.IrVersion <= 0)
            throw new InvalidModelException($"{what} has no IR version: it is not an ONNX model.", source);
        CheckNoExternalData(model.Graph, what, source);
        OnnxGraphValidator.Validate(model.Graph, what, source);
        return model;
    }

    private static void CheckNoExternalData(GraphProto graph, string what, string? source)
    {
        foreach (var tensor in graph.Initializer)
            if (tensor.DataLocation == TensorProto.Types.DataLocation.External || tensor.ExternalData.Count > 0)
                throw new InvalidModelException(
                    $"{what} stores tensor '{tensor.Name}' in an external data file, which is not supported. Save the model " +
                    "with all tensors inside the .onnx file (Python: onnx.save(model, path, save_as_external_data=False)).", source);
        foreach (var node in graph.Node)
            foreach (var attribute in node.Attribute)
            {
                if (attribute.T is { } t && (t.DataLocation == TensorProto.Types.DataLocation.External || t.ExternalData.Count > 0))
                    throw new InvalidModelException(
                        $"{what} stores the value of node '{node.Name}' in an external data file, which is not supported. Save the model " +
                        "with all tensors inside the .onnx file (Python: onnx.save(model, path, save_as_external_data=False)).", source);
                if (attribute.G is not null) CheckNoExternalData(attribute.G, what, source);
                foreach (var subgraph in attribute.Graphs) CheckNoExternalData(subgraph, what, source);
            }
    }
}
