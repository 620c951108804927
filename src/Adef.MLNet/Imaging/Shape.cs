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

    /// <summary>Returns the length of one image of a batch, checking the batch buffer holds exactly <paramref name="count"/> of them.</summary>
    internal static int PerImageLength(int totalLength, int count, string paramName)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (count == 0)
        {
            RequireLength(totalLength, 0, "empty batch", paramName);
            return 0;
        }
        if (totalLength % count != 0)
            throw new ArgumentException($"Length {totalLength} is not a multiple of the image count {count}.", paramName);
        return totalLength / count;
    }
}
