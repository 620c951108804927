using System.Buffers;
using Adef.MLNet.Classifiers;
using Adef.MLNet.Imaging;

namespace Adef.MLNet.Attacks.Operations;

/// <summary>The classifier calls of <see cref="HostOperations"/>, through the classifier's span seam.</summary>
internal sealed partial class HostOperations
{
    internal override ClassifierEvaluation Evaluate(IRows images, int[]? targets, int targetsPerImage, int[]? references, bool lossGradients,
        bool allLogits)
    {
        var x = Host(images);
        int n = x.Count, classes = classifier.ClassCount, k = targets is null ? 0 : targetsPerImage;
        var evaluation = new ClassifierEvaluation(n, k) { Logits = allLogits ? new float[n * classes] : Array.Empty<float>() };
        if (references is not null) evaluation.ReferenceLogits = new float[n];
        float[] logits = ArrayPool<float>.Shared.Rent(Math.Max(1, n * classes));
        try
        {
            HostRows? gradients = null;
            if (targets is null)
            {
                classifier.ComputeLogits(x.Span, n, logits.AsSpan(0, n * classes));
            }
            else if (lossGradients)
            {
                gradients = new HostRows(n, _shape.Channels, _plane);
                evaluation.Gradients = gradients;
                classifier.ComputeLogitsAndLossGradients(x.Span, n, targets.AsSpan(0, n), logits.AsSpan(0, n * classes), gradients.Span);
            }
            else
            {
                gradients = new HostRows(n, k * _shape.Channels, _plane);
                evaluation.Gradients = gradients;
                classifier.ComputeLogitsAndMarginGradients(x.Span, n, targets.AsSpan(0, n * k), k,
                    logits.AsSpan(0, n * classes), gradients.Span);
            }
            Summarise(evaluation, logits, targets, references, gradients);
            logits.AsSpan(0, evaluation.Logits.Length).CopyTo(evaluation.Logits);
        }
        catch
        {
            evaluation.Dispose();
            throw;
        }
        finally
        {
            ArrayPool<float>.Shared.Return(logits);
        }
        return evaluation;
    }

    internal override ClassifierEvaluation EvaluateRanked(IRows images, int[] ranks)
    {
        var x = Host(images);
        int n = x.Count, k = ranks.Length;
        var evaluation = new ClassifierEvaluation(n, k) { Logits = new float[n * classifier.ClassCount], Targets = new int[n * k] };
        if (n == 0) return evaluation;
        try
        {
            var gradients = new HostRows(n, k * _shape.Channels, _plane);
            evaluation.Gradients = gradients;
            classifier.ComputeLogitsAndRankedMarginGradients(x.Span, n, ranks, evaluation.Logits, evaluation.Targets, gradients.Span);
            Summarise(evaluation, evaluation.Logits, evaluation.Targets, null, gradients);
        }
        catch
        {
            evaluation.Dispose();
            throw;
        }
        return evaluation;
    }

    /// <summary>Fills the per-image values of <paramref name="evaluation"/> from the logits (and the gradients' finiteness).</summary>
    private void Summarise(ClassifierEvaluation evaluation, float[] logits, int[]? targets, int[]? references, HostRows? gradients)
    {
        int classes = classifier.ClassCount, k = evaluation.TargetsPerImage;
        Parallel.For(0, evaluation.Count, i =>
        {
            ReadOnlySpan<float> row = logits.AsSpan(i * classes, classes);
            bool finite = AllFinite(row) && (gradients is null || AllFinite(gradients.Row(i)));
            evaluation.Finite[i] = finite;
            int label = Attacks.Logits.ArgMax(row);
            evaluation.Labels[i] = label;
            evaluation.TopTwoGaps[i] = Attacks.Logits.TopTwoGap(row);
            evaluation.LabelLogits[i] = row[label];
            for (int j = 0; j < k; j++) evaluation.TargetLogits[i * k + j] = row[targets![i * k + j]];
            if (references is not null) evaluation.ReferenceLogits[i] = row[references[i]];
        });
    }
}
