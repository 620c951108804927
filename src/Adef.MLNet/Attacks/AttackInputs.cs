namespace Adef.MLNet.Attacks;

/// <summary>The checks every attack makes on the images it is given.</summary>
internal static class AttackInputs
{
    /// <summary>
    /// The number of images in <paramref name="images"/>, checking the buffer, the true labels and the targets against it.
    /// </summary>
    /// <exception cref="ArgumentException">The buffer is not a whole number of images, the labels or the targets are not one
    /// per image, or a target equals its image's true label.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A target is not a class of the classifier.</exception>
    public static int Count(ReadOnlyMemory<float> images, Classifiers.ImageShape shape, int classCount, IReadOnlyList<int>? trueLabels,
        IReadOnlyList<int>? targets)
    {
        int imageSize = shape.Size;
        if (images.Length % imageSize != 0)
            throw new ArgumentException(
                $"The image buffer holds {images.Length} values, which is not a whole number of {shape} images ({imageSize} values each).",
                nameof(images));
        int count = images.Length / imageSize;
        if (trueLabels is not null && trueLabels.Count != count)
            throw new ArgumentException($"Got {trueLabels.Count} true labels for {count} images.", nameof(trueLabels));
        if (targets is not null) CheckTargets(targets, count, classCount, trueLabels);
        return count;
    }

    private static void CheckTargets(IReadOnlyList<int> targets, int count, int classCount, IReadOnlyList<int>? trueLabels)
    {
        if (targets.Count != count) throw new ArgumentException($"Got {targets.Count} targets for {count} images.", nameof(targets));
        for (int i = 0; i < count; i++)
        {
            if (targets[i] < 0 || targets[i] >= classCount)
                throw new ArgumentOutOfRangeException(nameof(targets), targets[i],
                    $"The target of image {i} is {targets[i]}, which is not a class of the classifier (labels 0 to {classCount - 1}).");
            // Asking for the true class is never an attack: the image is either classified correctly already (a success
            // without a perturbation) or misclassified (not attacked), so such a target is a mistake in the caller's list.
            if (trueLabels is not null && trueLabels[i] == targets[i])
                throw new ArgumentException($"The target of image {i} is its true label {targets[i]}; a target must be another class.",
                    nameof(targets));
        }
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
