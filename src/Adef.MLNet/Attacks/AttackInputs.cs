namespace Adef.MLNet.Attacks;

/// <summary>The checks every attack makes on the images it is given.</summary>
internal static class AttackInputs
{
    /// <summary>The number of images in <paramref name="images"/>, checking the buffer and the true labels against it.</summary>
    /// <exception cref="ArgumentException">The buffer is not a whole number of images, or the labels are not one per image.</exception>
    public static int Count(ReadOnlyMemory<float> images, Classifiers.ImageShape shape, IReadOnlyList<int>? trueLabels)
    {
        int imageSize = shape.Size;
        if (images.Length % imageSize != 0)
            throw new ArgumentException(
                $"The image buffer holds {images.Length} values, which is not a whole number of {shape} images ({imageSize} values each).",
                nameof(images));
        int count = images.Length / imageSize;
        if (trueLabels is not null && trueLabels.Count != count)
            throw new ArgumentException($"Got {trueLabels.Count} true labels for {count} images.", nameof(trueLabels));
        return count;
    }

    /// <summary>Refuses NaN and infinite pixels, naming the first image that has one.</summary>
    public static void CheckFinite(ReadOnlySpan<float> images, int imageSize)
    {
        int bad = images.IndexOfAnyExceptInRange(float.MinValue, float.MaxValue);
        if (bad < 0) return;
        int image = bad / imageSize;
        throw new InvalidImageException(
            $"Image {image} has a {(float.IsNaN(images[bad]) ? "NaN" : "infinite")} pixel (value {images[bad]} at offset {bad % imageSize} " +
            "within the image); attacks need finite pixels.", image);
    }

    public static bool AllFinite(ReadOnlySpan<float> values) => values.IndexOfAnyExceptInRange(float.MinValue, float.MaxValue) < 0;
}
