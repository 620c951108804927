namespace Adef.MLNet;

/// <summary>
/// The base of the errors this library raises for bad input it was given: a malformed data file
/// (<see cref="DataFileException"/>), a malformed or unsupported model (<see cref="InvalidModelException"/>), bad
/// images (<see cref="InvalidImageException"/>) or a device that cannot be used (<see cref="DeviceUnavailableException"/>). Argument errors (null, out of range, mismatched lengths) are
/// <see cref="ArgumentException"/>s instead. Catch this type to handle every hostile-input failure at once.
/// </summary>
public abstract class InvalidInputException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What is wrong, for a person to read.</param>
    /// <param name="innerException">The underlying error, if any.</param>
    protected InvalidInputException(string message, Exception? innerException = null)
        : base(message, innerException)
    {
    }
}
