using Adef.MLNet.Attacks;

namespace Adef.MLNet.Classifiers;

/// <summary>
/// Targets chosen by rank among an image's own logits (sorted descending, ties: the lower label first, so rank 0 is
/// the current label), and the two-call form of the ranked margin gradients for classifiers that do not override it.
/// The TorchSharp package's <c>TensorRankedTargets</c> makes the same choice on a device.
/// </summary>
internal static class RankedTargets
{
    /// <summary>The span seam's default: logits, the targets chosen from them on the host, then the margin gradients.</summary>
    public static void FromTwoCalls(IDifferentiableClassifier classifier, ReadOnlySpan<float> images, int count, ReadOnlySpan<int> ranks,
        Span<float> logits, Span<int> targets, Span<float> gradients)
    {
        Check(classifier, images, count, ranks, logits, targets, gradients);
        if (count == 0) return;
        classifier.ComputeLogits(images, count, logits);
        Choose(logits, classifier.ClassCount, ranks, targets);
        classifier.ComputeLogitsAndMarginGradients(images, count, targets, ranks.Length, logits, gradients);
    }

    /// <summary>Target j of image i is the label at rank <c>ranks[j]</c> of that image's logits.</summary>
    public static void Choose(ReadOnlySpan<float> logits, int classes, ReadOnlySpan<int> ranks, Span<int> targets)
    {
        int n = logits.Length / classes, k = ranks.Length;
        for (int i = 0; i < n; i++)
        {
            int[] ranked = Logits.RankDescending(logits.Slice(i * classes, classes));
            for (int j = 0; j < k; j++) targets[i * k + j] = ranked[ranks[j]];
        }
    }

    public static void Check(IDifferentiableClassifier classifier, ReadOnlySpan<float> images, int count, ReadOnlySpan<int> ranks,
        Span<float> logits, Span<int> targets, Span<float> gradients)
    {
        ClassifierArguments.CheckLogits(classifier, images, count, logits);
        CheckRanks(ranks, classifier.ClassCount);
        if (targets.Length != (long)count * ranks.Length)
            throw new ArgumentException($"Expected room for {count}×{ranks.Length} targets, got {targets.Length}.", nameof(targets));
        if (gradients.Length != (long)count * ranks.Length * classifier.InputShape.Size)
            throw new ArgumentException(
                $"Expected room for {count}×{ranks.Length} gradients of {classifier.InputShape}, got {gradients.Length} values.", nameof(gradients));
    }

    public static void CheckRanks(ReadOnlySpan<int> ranks, int classCount)
    {
        if (ranks.Length < 1) throw new ArgumentException("At least one rank is needed.", nameof(ranks));
        foreach (int rank in ranks)
            if ((uint)rank >= (uint)classCount)
                throw new ArgumentOutOfRangeException(nameof(ranks), rank, $"Ranks must lie in [0, {classCount}).");
    }
}
