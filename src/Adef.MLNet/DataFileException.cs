namespace Adef.MLNet;

/// <summary>
/// A data file (an idx file, a dataset download, an image) is missing, unreadable or malformed.
/// The message names the file and, where possible, how to obtain or repair it.
/// </summary>
public class DataFileException : InvalidInputException
{
    /// <summary>Creates the exception for the file at <paramref name="path"/>.</summary>
    /// <param name="message">What is wrong, for a person to read.</param>
    /// <param name="path">The file or folder concerned, or <see langword="null"/>.</param>
    /// <param name="innerException">The underlying error, if any.</param>
    public DataFileException(string message, string? path = null, Exception? innerException = null)
        : base(message, innerException)
    {
        Path = path;
    }

    /// <summary>The file or folder concerned, or <see langword="null"/>.</summary>
    public string? Path { get; }
}
