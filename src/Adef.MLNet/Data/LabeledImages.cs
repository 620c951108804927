namespace Adef.MLNet.Data;

/// <summary>
/// A set of images stored as one N×C×H×W float32 buffer (channel-planar, row-major) with one
/// integer label per image.
/// </summary>
/// <param name="Pixels">N·C·H·W values; for the idx datasets, grey levels scaled to [0, 1].</param>
/// <param name="Labels">N class indices.</param>
/// <param name="Channels">C.</param>
/// <param name="Height">H, in pixels.</param>
/// <param name="Width">W, in pixels.</param>
public sealed record LabeledImages(float[] Pixels, int[] Labels, int Channels, int Height, int Width)
{
    /// <summary>Number of images N.</summary>
    public int Count => Labels.Length;

    /// <summary>Values per image (C·H·W).</summary>
    public int ImageSize => Channels * Height * Width;

    /// <summary>A read-only view of image <paramref name="index"/>.</summary>
    public ReadOnlySpan<float> Image(int index) => Pixels.AsSpan(index * ImageSize, ImageSize);

    /// <summary>The first <paramref name="count"/> images (copied), or all when there are fewer.</summary>
    public LabeledImages Take(int count)
    {
        count = Math.Clamp(count, 0, Count);
        return this with
        {
            Pixels = Pixels.AsSpan(0, count * ImageSize).ToArray(),
            Labels = Labels.AsSpan(0, count).ToArray(),
        };
    }
}
