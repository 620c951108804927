namespace Adef.MLNet;

/// <summary>
/// A model file or graph is missing, unreadable, malformed or unsupported: truncated or corrupt protobuf,
/// a graph with a cycle or a dangling input, a missing initializer, an unsupported operator, a non-float
/// image input, a dimension that cannot be resolved, or a declared tensor too large to allocate. The message
/// names the file (when there is one), the node or tensor concerned and, for sizes, the size.
/// </summary>
public class InvalidModelException : InvalidInputException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What is wrong, for a person to read.</param>
    /// <param name="path">The model file, or <see langword="null"/> for a model given as bytes.</param>
    /// <param name="innerException">The underlying error, if any.</param>
    /// <param name="nodeName">The node or tensor concerned, or <see langword="null"/>.</param>
    public InvalidModelException(string message, string? path = null, Exception? innerException = null, string? nodeName = null)
        : base(message, innerException)
    {
        Path = path;
        NodeName = nodeName;
    }

    /// <summary>The model file, or <see langword="null"/> for a model given as bytes.</summary>
    public string? Path { get; }

    /// <summary>The node or tensor the problem was found at, or <see langword="null"/>.</summary>
    public string? NodeName { get; }
}
