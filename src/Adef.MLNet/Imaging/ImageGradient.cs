using System.Numerics.Tensors;

namespace Adef.MLNet.Imaging;

/// <summary>
/// Spatial derivatives of an image, channel by channel, with the same numbers as
/// <c>numpy.gradient</c> at unit spacing.
/// </summary>
public static class ImageGradient
{
    /// <summary>
    /// Writes the derivative along columns (<paramref name="dx"/>) and along rows (<paramref name="dy"/>)
    /// of each channel: central differences <c>0.5·(f[j+1] − f[j−1])</c> inside, the forward difference
    /// at the first index, the backward difference at the last; an axis of size 1 has derivative 0.
    /// </summary>
    /// <param name="image">One image, C×H×W.</param>
    /// <param name="dx">∂/∂x, C×H×W; must not overlap <paramref name="image"/>.</param>
    /// <param name="dy">∂/∂y, C×H×W; must not overlap <paramref name="image"/> or <paramref name="dx"/>.</param>
    /// <param name="channels">C.</param>
    /// <param name="height">H.</param>
    /// <param name="width">W.</param>
    /// <exception cref="ArgumentOutOfRangeException">A dimension is not positive.</exception>
    /// <exception cref="ArgumentException">A span's length does not match the shape.</exception>
    public static void Compute(ReadOnlySpan<float> image, Span<float> dx, Span<float> dy,
        int channels, int height, int width)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(channels);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        long length = (long)channels * height * width;
        Shape.RequireLength(image.Length, length, "channels × height × width", nameof(image));
        Shape.RequireLength(dx.Length, length, "channels × height × width", nameof(dx));
        Shape.RequireLength(dy.Length, length, "channels × height × width", nameof(dy));

        // Rows of all channels are contiguous, so d/dx works row by row over the whole image.
        for (int row = 0; row < channels * height; row++)
            Differentiate(image.Slice(row * width, width), dx.Slice(row * width, width), stride: 1, width);

        int plane = height * width;
        for (int c = 0; c < channels; c++)
        {
            Differentiate(image.Slice(c * plane, plane), dy.Slice(c * plane, plane), stride: width, height);
        }
    }

    /// <summary>
    /// Differentiates along one axis of <paramref name="size"/> samples spaced <paramref name="stride"/> apart;
    /// with stride &gt; 1 each step is a whole row of <paramref name="stride"/> independent lines.
    /// </summary>
    private static void Differentiate(ReadOnlySpan<float> f, Span<float> d, int stride, int size)
    {
        if (size == 1)
        {
            d.Clear();
            return;
        }

        int last = (size - 1) * stride;
        TensorPrimitives.Subtract(f.Slice(stride, stride), f[..stride], d[..stride]);
        TensorPrimitives.Subtract(f.Slice(last, stride), f.Slice(last - stride, stride), d.Slice(last, stride));
        if (size > 2)
        {
            int inner = (size - 2) * stride;
            Span<float> middle = d.Slice(stride, inner);
            TensorPrimitives.Subtract(f.Slice(2 * stride, inner), f[..inner], middle);
            TensorPrimitives.Multiply(middle, 0.5f, middle);
        }
    }
}
