namespace Adef.MLNet.Imaging;

/// <summary>
/// Deforms an image by a vector field: <c>x_τ(p) = x(p + τ(p))</c>, sampled bilinearly with
/// border replication.
/// </summary>
public static class BilinearWarp
{
    /// <summary>
    /// Writes <c>output(c, y, x)</c> = the bilinear sample of channel <c>c</c> of <paramref name="image"/>
    /// at <c>(x + τx(y, x), y + τy(y, x))</c>, the sample point clamped to <c>[0, W−1] × [0, H−1]</c>.
    /// A zero field reproduces the image bit-exactly.
    /// </summary>
    /// <param name="image">One image, C×H×W.</param>
    /// <param name="field">Its vector field, 2×H×W: plane 0 the x-displacement (columns), plane 1 the y-displacement (rows), in pixels.</param>
    /// <param name="output">The deformed image, C×H×W; must not overlap <paramref name="image"/>.</param>
    /// <param name="channels">C.</param>
    /// <param name="height">H.</param>
    /// <param name="width">W.</param>
    /// <exception cref="ArgumentOutOfRangeException">A dimension is not positive.</exception>
    /// <exception cref="ArgumentException">A span's length does not match the shape.</exception>
    public static void Apply(ReadOnlySpan<float> image, ReadOnlySpan<float> field, Span<float> output,
        int channels, int height, int width)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(channels);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        long imageLength = (long)channels * height * width;
        Shape.RequireLength(image.Length, imageLength, "channels × height × width", nameof(image));
        Shape.RequireLength(field.Length, 2L * height * width, "2 × height × width", nameof(field));
        Shape.RequireLength(output.Length, imageLength, "channels × height × width", nameof(output));

        int plane = height * width;
        ReadOnlySpan<float> tauX = field[..plane];
        ReadOnlySpan<float> tauY = field[plane..];
        float maxX = width - 1;
        float maxY = height - 1;

        for (int y = 0, p = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++, p++)
            {
                // Math.Clamp passes NaN through, and (int)NaN is 0, so a NaN field yields NaN pixels rather than a bad index.
                float sx = Math.Clamp(x + tauX[p], 0f, maxX);
                float sy = Math.Clamp(y + tauY[p], 0f, maxY);
                int x0 = (int)sx; // sx ≥ 0, so truncation is floor
                int y0 = (int)sy;
                float fx = sx - x0;
                float fy = sy - y0;
                int row0 = y0 * width;

                // Copying on-grid samples keeps zero and integer fields exact (also for −0 and infinities, which weights 1·a + 0·b would not).
                if (fx == 0f && fy == 0f)
                {
                    for (int c = 0, offset = 0; c < channels; c++, offset += plane)
                        output[offset + p] = image[offset + row0 + x0];
                    continue;
                }

                // x0 + 1 leaves the image only when fx == 0 (sample on the last column); its weight is then 0.
                int x1 = Math.Min(x0 + 1, width - 1);
                int row1 = Math.Min(y0 + 1, height - 1) * width;
                int i00 = row0 + x0, i10 = row0 + x1, i01 = row1 + x0, i11 = row1 + x1;
                float w00 = (1f - fx) * (1f - fy);
                float w10 = fx * (1f - fy);
                float w01 = (1f - fx) * fy;
                float w11 = fx * fy;

                for (int c = 0, offset = 0; c < channels; c++, offset += plane)
                {
                    output[offset + p] = w00 * image[offset + i00] + w10 * image[offset + i10]
                                       + w01 * image[offset + i01] + w11 * image[offset + i11];
                }
            }
        }
    }
}
