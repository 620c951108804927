namespace Adef.MLNet;

/// <summary>
/// Images passed to an attack or a classifier are unusable: a pixel is NaN or infinite, say. The message and
/// <see cref="ImageIndex"/> name the offending image.
/// </summary>
public class InvalidImageException : InvalidInputException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What is wrong, for a person to read.</param>
    /// <param name="imageIndex">The position of the offending image in the batch, or <see langword="null"/>.</param>
    /// <param name="innerException">The underlying error, if any.</param>
    public InvalidImageException(string message, int? imageIndex = null, Exception? innerException = null)
        : base(message, innerException)
    {
        ImageIndex = imageIndex;
    }

    /// <summary>The position of the offending image in the batch passed in, or <see langword="null"/>.</summary>
    public int? ImageIndex { get; }
}
