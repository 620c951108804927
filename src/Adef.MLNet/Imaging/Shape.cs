namespace Adef.MLNet.Imaging;

/// <summary>Argument checks shared by the imaging kernels.</summary>
internal static class Shape
{
    /// <summary>
    /// Throws unless <paramref name="actual"/> equals <paramref name="expected"/>; <paramref name="layout"/> is a
    /// constant naming the expected shape, so the check allocates only when it throws.
    /// </summary>
    internal static void RequireLength(int actual, long expected, string layout, string paramName)
    {
        if (actual != expected)
            throw new ArgumentException($"Expected length {expected} ({layout}), got {actual}.", paramName);
    }
}
