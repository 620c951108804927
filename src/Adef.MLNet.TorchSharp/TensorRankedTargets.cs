using static TorchSharp.torch;

namespace Adef.MLNet.Classifiers.TorchSharp;

/// <summary>
/// <see cref="RankedTargets"/> on a classifier's device: targets chosen by rank among each image's own logits, and the
/// two-call form of <see cref="ITensorClassifier.LogitsAndRankedMarginGradients"/> for tensor classifiers that do not override it.
/// </summary>
internal static class TensorRankedTargets
{
    /// <summary>
    /// The same choice on the logits' device: N×K int64. A stable descending sort keeps tied labels in increasing order,
    /// as the host ranking does; only NaN logits are ordered differently (first here, last there).
    /// </summary>
    public static Tensor Choose(Tensor logits, ReadOnlySpan<int> ranks)
    {
        using var scope = NewDisposeScope();
        var (_, order) = logits.sort(1, descending: true, stable: true);
        long[] columns = new long[ranks.Length];
        for (int j = 0; j < columns.Length; j++) columns[j] = ranks[j];
        return order.index_select(1, tensor(columns, int64, logits.device)).MoveToOuterDisposeScope();
    }

    /// <summary>The tensor seam's default: logits, the targets chosen from them on the device, then the margin gradients.</summary>
    public static (Tensor Logits, Tensor Targets, Tensor Gradients) FromTwoCalls(ITensorClassifier classifier, Tensor images, ReadOnlySpan<int> ranks)
    {
        RankedTargets.CheckRanks(ranks, classifier.ClassCount);
        using var scope = NewDisposeScope();
        Tensor targets = Choose(classifier.Logits(images), ranks);
        var (logits, gradients) = classifier.LogitsAndMarginGradients(images, targets);
        return (logits.MoveToOuterDisposeScope(), targets.MoveToOuterDisposeScope(), gradients.MoveToOuterDisposeScope());
    }
}
