using Adef.MLNet.Classifiers.TorchSharp;
using TorchSharp;
using static TorchSharp.torch;

namespace Adef.MLNet.Attacks.Operations;

/// <summary>The classifier calls of <see cref="TorchOperations"/>: logits and gradients on the device, per-image values to the host in one copy.</summary>
internal sealed partial class TorchOperations
{
    internal override ClassifierEvaluation Evaluate(IRows images, int[]? targets, int targetsPerImage, int[]? references, bool lossGradients,
        bool allLogits)
    {
        int n = images.Count, k = targets is null ? 0 : targetsPerImage;
        var evaluation = new ClassifierEvaluation(n, k) { Logits = allLogits ? new float[n * _classifier.ClassCount] : Array.Empty<float>() };
        if (references is not null) evaluation.ReferenceLogits = new float[n];
        if (n == 0) return evaluation;
        using var scope = NewDisposeScope();
        Tensor x = T(images), logits, finite;
        Tensor? targetIndices = null;
        if (targets is null)
        {
            logits = _classifier.Logits(x);
            finite = logits.isfinite().all(1);
        }
        else if (lossGradients)
        {
            (logits, Tensor gradients) = _classifier.LogitsAndLossGradients(x, Indices(targets.AsSpan(0, n)));
            finite = logits.isfinite().all(1).logical_and(gradients.view(n, -1).isfinite().all(1));
            evaluation.Gradients = Rows(gradients.view(n, _channels, _height, _width));
            targetIndices = Indices(targets.AsSpan(0, n)).view(n, 1);
        }
        else
        {
            targetIndices = Indices(targets).view(n, k);
            (logits, Tensor gradients) = _classifier.LogitsAndMarginGradients(x, targetIndices);
            finite = logits.isfinite().all(1).logical_and(gradients.view(n, -1).isfinite().all(1));
            evaluation.Gradients = Rows(gradients.view(n, k * _channels, _height, _width));
        }
        Summarise(evaluation, logits, finite, references is null ? null : Indices(references).view(n, 1), targetIndices);
        return evaluation;
    }

    internal override ClassifierEvaluation EvaluateRanked(IRows images, int[] ranks)
    {
        int n = images.Count, k = ranks.Length;
        var evaluation = new ClassifierEvaluation(n, k) { Logits = new float[n * _classifier.ClassCount], Targets = new int[n * k] };
        if (n == 0) return evaluation;
        using var scope = NewDisposeScope();
        var (logits, targets, gradients) = _classifier.LogitsAndRankedMarginGradients(T(images), ranks);
        Tensor finite = logits.isfinite().all(1).logical_and(gradients.view(n, -1).isfinite().all(1));
        evaluation.Gradients = Rows(gradients.view(n, k * _channels, _height, _width));
        Summarise(evaluation, logits, finite, null, targets);
        return evaluation;
    }

    /// <summary>
    /// Fills the per-image values of <paramref name="evaluation"/> with one copy to the host: label, top-two gap,
    /// finiteness, the logits at the label, at the references and at the targets, and, where <paramref name="evaluation"/> has
    /// room for them, the targets themselves (chosen by rank) and all logits.
    /// </summary>
    private void Summarise(ClassifierEvaluation evaluation, Tensor logits, Tensor finite, Tensor? referenceIndices, Tensor? targetIndices)
    {
        int n = evaluation.Count, k = evaluation.TargetsPerImage, classes = _classifier.ClassCount;
        bool chosenTargets = evaluation.Targets.Length > 0, allLogits = evaluation.Logits.Length > 0;
        Tensor labels = logits.argmax(1, keepdim: true);
        Tensor topTwo = logits.topk(2, dim: 1).values;
        var columns = new List<Tensor>
        {
            labels.to(float32), (topTwo.select(1, 0) - topTwo.select(1, 1)).unsqueeze(1), finite.to(float32).unsqueeze(1), logits.gather(1, labels),
        };
        if (referenceIndices is not null) columns.Add(logits.gather(1, referenceIndices));
        if (targetIndices is not null) columns.Add(logits.gather(1, targetIndices));
        if (chosenTargets) columns.Add(targetIndices!.to(float32)); // labels below 2^24 are exact in float32
        if (allLogits) columns.Add(logits);
        float[] packed = ToHost<float>(cat(columns.ToArray(), 1));
        int width = 4 + (referenceIndices is null ? 0 : 1) + (targetIndices is null ? 0 : k) + (chosenTargets ? k : 0) + (allLogits ? classes : 0);
        for (int i = 0; i < n; i++)
        {
            int row = i * width, column = 4;
            evaluation.Labels[i] = (int)packed[row];
            evaluation.TopTwoGaps[i] = packed[row + 1];
            evaluation.Finite[i] = packed[row + 2] != 0;
            evaluation.LabelLogits[i] = packed[row + 3];
            if (referenceIndices is not null) evaluation.ReferenceLogits[i] = packed[row + column++];
            for (int j = 0; j < k; j++) evaluation.TargetLogits[i * k + j] = packed[row + column + j];
            column += k;
            if (chosenTargets)
            {
                for (int j = 0; j < k; j++) evaluation.Targets[i * k + j] = (int)packed[row + column + j];
                column += k;
            }
            if (allLogits) packed.AsSpan(row + column, classes).CopyTo(evaluation.Logits.AsSpan(i * classes, classes));
        }
    }
}
