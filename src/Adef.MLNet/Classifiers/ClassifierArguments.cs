namespace Adef.MLNet.Classifiers;

/// <summary>Argument checks shared by the classifier backends.</summary>
internal static class ClassifierArguments
{
    public static void CheckLogits(IDifferentiableClassifier classifier, ReadOnlySpan<float> images, int count, Span<float> logits)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        int imageSize = classifier.InputShape.Size;
        if (images.Length != (long)count * imageSize)
            throw new ArgumentException(
                $"Expected {count} images of {classifier.InputShape} = {(long)count * imageSize} values, got {images.Length}.", nameof(images));
        if (logits.Length != (long)count * classifier.ClassCount)
            throw new ArgumentException(
                $"Expected room for {count}×{classifier.ClassCount} logits, got {logits.Length}.", nameof(logits));
    }

    public static void CheckMarginGradients(
        IDifferentiableClassifier classifier, ReadOnlySpan<float> images, int count, ReadOnlySpan<int> targetLabels,
        int targetsPerImage, Span<float> logits, Span<float> gradients)
    {
        CheckLogits(classifier, images, count, logits);
        ArgumentOutOfRangeException.ThrowIfLessThan(targetsPerImage, 1);
        if (targetLabels.Length != (long)count * targetsPerImage)
            throw new ArgumentException(
                $"Expected {count}×{targetsPerImage} target labels, got {targetLabels.Length}.", nameof(targetLabels));
        foreach (int label in targetLabels)
            if ((uint)label >= (uint)classifier.ClassCount)
                throw new ArgumentOutOfRangeException(nameof(targetLabels), label, $"Target labels must lie in [0, {classifier.ClassCount}).");
        if (gradients.Length != (long)count * targetsPerImage * classifier.InputShape.Size)
            throw new ArgumentException(
                $"Expected room for {count}×{targetsPerImage} gradients of {classifier.InputShape}, got {gradients.Length} values.", nameof(gradients));
    }

    public static void CheckLossGradients(
        IDifferentiableClassifier classifier, ReadOnlySpan<float> images, int count, ReadOnlySpan<int> labels,
        Span<float> logits, Span<float> gradients)
    {
        CheckLogits(classifier, images, count, logits);
        if (labels.Length != count)
            throw new ArgumentException($"Expected {count} labels, one per image, got {labels.Length}.", nameof(labels));
        foreach (int label in labels)
            if ((uint)label >= (uint)classifier.ClassCount)
                throw new ArgumentOutOfRangeException(nameof(labels), label, $"Labels must lie in [0, {classifier.ClassCount}).");
        if (gradients.Length != (long)count * classifier.InputShape.Size)
            throw new ArgumentException(
                $"Expected room for {count} gradients of {classifier.InputShape}, got {gradients.Length} values.", nameof(gradients));
    }
}
