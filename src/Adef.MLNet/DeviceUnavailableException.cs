namespace Adef.MLNet;

/// <summary>
/// A device was asked for that cannot be used: CUDA where the loaded libtorch has none, or a GPU number beyond
/// the GPUs present. The message says what was tried and how to fix it; <see cref="Attempts"/> lists the checks.
/// </summary>
public class DeviceUnavailableException : InvalidInputException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What failed and what to do, for a person to read.</param>
    /// <param name="device">The device asked for.</param>
    /// <param name="attempts">The checks made, each with its result.</param>
    /// <param name="innerException">The underlying error, if any.</param>
    public DeviceUnavailableException(string message, Classifiers.ComputeDevice device, IReadOnlyList<string> attempts, Exception? innerException = null)
        : base(message, innerException)
    {
        Device = device;
        Attempts = attempts;
    }

    /// <summary>The device asked for.</summary>
    public Classifiers.ComputeDevice Device { get; }

    /// <summary>The checks made, in order, each with its result.</summary>
    public IReadOnlyList<string> Attempts { get; }
}
