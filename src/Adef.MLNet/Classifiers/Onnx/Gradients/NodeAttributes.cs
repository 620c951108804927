using Onnx;

namespace Adef.MLNet.Classifiers.Onnx.Gradients;

/// <summary>Reads attributes of forward nodes, with the defaults the operator schemas give.</summary>
internal static class NodeAttributes
{
    /// <summary>The attribute named <paramref name="name"/>, or null.</summary>
    /// <param name="node">A node.</param>
    /// <param name="name">Attribute name.</param>
    public static AttributeProto? Find(this NodeProto node, string name)
        => node.Attribute.FirstOrDefault(a => a.Name == name);

    /// <summary>An integer attribute, or <paramref name="fallback"/> when absent.</summary>
    /// <param name="node">A node.</param>
    /// <param name="name">Attribute name.</param>
    /// <param name="fallback">The schema default.</param>
    public static long GetInt(this NodeProto node, string name, long fallback) => node.Find(name)?.I ?? fallback;

    /// <summary>A float attribute, or <paramref name="fallback"/> when absent.</summary>
    /// <param name="node">A node.</param>
    /// <param name="name">Attribute name.</param>
    /// <param name="fallback">The schema default.</param>
    public static double GetFloat(this NodeProto node, string name, double fallback) => node.Find(name)?.F ?? fallback;

    /// <summary>An integer-list attribute, or null when absent.</summary>
    /// <param name="node">A node.</param>
    /// <param name="name">Attribute name.</param>
    public static long[]? GetInts(this NodeProto node, string name) => node.Find(name) is { } a ? [.. a.Ints] : null;

    /// <summary>A string attribute, or <paramref name="fallback"/> when absent.</summary>
    /// <param name="node">A node.</param>
    /// <param name="name">Attribute name.</param>
    /// <param name="fallback">The schema default.</param>
    public static string GetString(this NodeProto node, string name, string fallback)
        => node.Find(name) is { } a ? a.S.ToStringUtf8() : fallback;

    /// <summary>The input at <paramref name="index"/>, or the empty string when it is omitted.</summary>
    /// <param name="node">A node.</param>
    /// <param name="index">Input index.</param>
    public static string InputOrEmpty(this NodeProto node, int index) => index < node.Input.Count ? node.Input[index] : "";

    /// <summary>A short description of the node for error messages: op type and name.</summary>
    /// <param name="node">A node.</param>
    public static string Describe(this NodeProto node)
        => $"'{node.OpType}' node '{(node.Name.Length > 0 ? node.Name : string.Join(",", node.Output))}'";
}
