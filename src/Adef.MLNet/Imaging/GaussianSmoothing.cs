using System.Buffers;
using System.Numerics.Tensors;

namespace Adef.MLNet.Imaging;

/// <summary>
/// The Gaussian smoothing operator S of ADef: a separable convolution with zero padding,
/// applied to each plane (e.g. each component of a vector field) independently.
/// With a symmetric kernel S is self-adjoint, which the ADef step relies on.
/// </summary>
public static class GaussianSmoothing
{
    /// <summary>
    /// The normalised 1-D Gaussian kernel for <paramref name="sigma"/>: <c>size = 2·⌊4σ + 0.5⌋ + 1</c> taps at integer
    /// offsets <c>t = k − (size−1)/2</c>, weights <c>exp(−t²/2σ²)</c> divided by their sum.
    /// </summary>
    /// <param name="sigma">Standard deviation in pixels; must be positive and finite (σ = 0, "no smoothing", is for the caller to skip).</param>
    /// <returns>A new array of odd length, symmetric, summing to 1.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="sigma"/> is not positive and finite, or the kernel would be too large for an array.</exception>
    public static float[] Kernel(double sigma)
    {
        if (!(sigma > 0) || !double.IsFinite(sigma) || 4 * sigma + 0.5 >= Array.MaxLength / 2)
            throw new ArgumentOutOfRangeException(nameof(sigma), sigma, "Sigma must be positive and finite (pixels).");

        int radius = (int)(4 * sigma + 0.5);
        var weights = new double[2 * radius + 1];
        double sum = 0;
        for (int k = 0; k < weights.Length; k++)
        {
            double t = k - radius;
            weights[k] = Math.Exp(-t * t / (2 * sigma * sigma));
            sum += weights[k];
        }

        var kernel = new float[weights.Length];
        for (int k = 0; k < kernel.Length; k++)
            kernel[k] = (float)(weights[k] / sum);
        return kernel;
    }

    /// <summary>The scratch length <see cref="Apply"/> needs: one plane, <c>height·width</c>.</summary>
    /// <param name="height">H.</param>
    /// <param name="width">W.</param>
    /// <returns><c>height·width</c>.</returns>
    public static int ScratchLength(int height, int width) => checked(height * width);

    /// <summary>
    /// Convolves each H×W plane with <paramref name="kernel"/> along rows, then along columns, treating
    /// values outside the plane as 0: along each axis <c>out[j] = Σₖ kernel[k]·in[j + k − r]</c> with <c>r = (length−1)/2</c>.
    /// </summary>
    /// <param name="planes">The input, P×H×W.</param>
    /// <param name="output">The smoothed planes, P×H×W. May be <paramref name="planes"/> itself, but must not overlap it otherwise.</param>
    /// <param name="planeCount">P (2 for a vector field).</param>
    /// <param name="height">H.</param>
    /// <param name="width">W.</param>
    /// <param name="kernel">An odd-length kernel, usually from <see cref="Kernel"/>.</param>
    /// <param name="scratch">Working memory of at least <see cref="ScratchLength"/> = <c>height·width</c> floats, not overlapping the other spans; its contents are overwritten.</param>
    /// <exception cref="ArgumentOutOfRangeException">A dimension is not positive.</exception>
    /// <exception cref="ArgumentException">A span's length does not match the shape, the kernel's length is even, or the scratch is too small.</exception>
    public static void Apply(ReadOnlySpan<float> planes, Span<float> output, int planeCount, int height, int width,
        ReadOnlySpan<float> kernel, Span<float> scratch)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(planeCount);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        long length = (long)planeCount * height * width;
        Shape.RequireLength(planes.Length, length, "planeCount × height × width", nameof(planes));
        Shape.RequireLength(output.Length, length, "planeCount × height × width", nameof(output));
        if (kernel.Length % 2 == 0)
            throw new ArgumentException($"Expected an odd kernel length, got {kernel.Length}.", nameof(kernel));
        int plane = height * width;
        if (scratch.Length < plane)
            throw new ArgumentException($"Expected length at least {plane} (height × width), got {scratch.Length}.", nameof(scratch));

        Span<float> rowsSmoothed = scratch[..plane];
        int radius = kernel.Length / 2;
        for (int p = 0; p < planeCount; p++)
        {
            // The row pass consumes the whole input plane before the column pass writes it, so output may alias planes.
            ReadOnlySpan<float> source = planes.Slice(p * plane, plane);
            for (int y = 0; y < height; y++)
                ConvolveLine(source.Slice(y * width, width), rowsSmoothed.Slice(y * width, width), kernel, radius, width, 1);
            ConvolveLine(rowsSmoothed, output.Slice(p * plane, plane), kernel, radius, height, width);
        }
    }

    /// <summary>
    /// Zero-padded convolution along one axis of <paramref name="size"/> samples spaced <paramref name="stride"/> apart,
    /// as one vectorised multiply-add per tap over the samples that tap reaches.
    /// </summary>
    private static void ConvolveLine(ReadOnlySpan<float> source, Span<float> destination, ReadOnlySpan<float> kernel,
        int radius, int size, int stride)
    {
        destination.Clear();
        for (int k = 0; k < kernel.Length; k++)
        {
            int offset = k - radius;
            int first = Math.Max(0, -offset);
            int end = Math.Min(size, size - offset);
            if (first >= end)
                continue;
            Span<float> target = destination.Slice(first * stride, (end - first) * stride);
            TensorPrimitives.MultiplyAdd(source.Slice((first + offset) * stride, target.Length), kernel[k], target, target);
        }
    }
}
