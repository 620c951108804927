using Adef.MLNet.Attacks;

namespace Adef.MLNet.Classifiers;

/// <summary>
/// The default <see cref="IDifferentiableClassifier.ComputeLogitsAndLossGradients"/>: the cross-entropy input gradient
/// assembled from margin gradients, <c>∇CE = Σ_k (p_k − δ_ky) ∇(F_k − F_c)</c> (the ∇F_c terms cancel because the
/// weights sum to zero).
/// </summary>
internal static class LossGradients
{
    /// <summary>Most margin-gradient values requested in one classifier call (16 M floats, 64 MiB), unless one label per image needs more.</summary>
    public const long MaxGradientValuesPerCall = 1L << 24;

    public static void FromMarginGradients(IDifferentiableClassifier classifier, ReadOnlySpan<float> images, int count,
        ReadOnlySpan<int> labels, Span<float> logits, Span<float> gradients, long maxValuesPerCall = MaxGradientValuesPerCall)
    {
        ClassifierArguments.CheckLossGradients(classifier, images, count, labels, logits, gradients);
        if (count == 0) return;
        int classes = classifier.ClassCount, size = classifier.InputShape.Size;
        classifier.ComputeLogits(images, count, logits);

        var current = new int[count];
        var weights = new double[count * classes];
        for (int i = 0; i < count; i++)
        {
            ReadOnlySpan<float> imageLogits = logits.Slice(i * classes, classes);
            current[i] = Logits.ArgMax(imageLogits);
            SoftmaxMinusOneHot(imageLogits, labels[i], weights.AsSpan(i * classes, classes));
        }

        gradients.Clear();
        int others = classes - 1;
        int chunk = (int)Math.Clamp(maxValuesPerCall / ((long)count * size), 1, others);
        var targets = new int[count * chunk];
        var chunkLogits = new float[count * classes];
        var chunkGradients = new float[(long)count * chunk * size];
        for (int start = 0; start < others; start += chunk)
        {
            int k = Math.Min(chunk, others - start);
            for (int i = 0; i < count; i++)
                for (int j = 0; j < k; j++)
                {
                    int rank = start + j; // the rank-th label other than the current one
                    targets[i * k + j] = rank < current[i] ? rank : rank + 1;
                }
            Span<float> g = chunkGradients.AsSpan(0, count * k * size);
            classifier.ComputeLogitsAndMarginGradients(images, count, targets.AsSpan(0, count * k), k, chunkLogits, g);
            for (int i = 0; i < count; i++)
            {
                ReadOnlySpan<float> again = chunkLogits.AsSpan(i * classes, classes);
                if (Logits.ArgMax(again) != current[i] && AllFinite(again) && AllFinite(logits.Slice(i * classes, classes)))
                    throw new InvalidOperationException(
                        $"The classifier labelled image {i} {current[i]}, then {Logits.ArgMax(again)} on the same pixels; the default " +
                        "cross-entropy gradient combines margin gradients of several calls and needs a deterministic classifier.");
                Span<float> target = gradients.Slice(i * size, size);
                for (int j = 0; j < k; j++)
                {
                    float weight = (float)weights[i * classes + targets[i * k + j]];
                    if (weight == 0) continue;
                    ReadOnlySpan<float> margin = g.Slice((i * k + j) * size, size);
                    for (int p = 0; p < size; p++) target[p] += weight * margin[p];
                }
            }
        }
    }

    /// <summary>softmax(logits) − e_label, computed in double with the maximum subtracted.</summary>
    private static void SoftmaxMinusOneHot(ReadOnlySpan<float> logits, int label, Span<double> destination)
    {
        double max = double.NegativeInfinity;
        foreach (float v in logits) max = Math.Max(max, v);
        double sum = 0;
        for (int k = 0; k < logits.Length; k++) sum += destination[k] = Math.Exp(logits[k] - max);
        for (int k = 0; k < logits.Length; k++) destination[k] /= sum;
        destination[label] -= 1;
    }

    private static bool AllFinite(ReadOnlySpan<float> values) => values.IndexOfAnyExceptInRange(float.MinValue, float.MaxValue) < 0;
}
