using Adef.MLNet.Attacks.Operations;

namespace Adef.MLNet.Attacks;

/// <summary>The iteration of <see cref="BatchedAttack{TState, TResult}"/>: admitting images, evaluating and judging them, stepping.</summary>
internal abstract partial class BatchedAttack<TState, TResult>
{
    /// <summary>The share of moved images assumed fooled before any has been checked (so K = 1 starts with combined calls).</summary>
    private const double InitialFooledShare = 0.5;

    /// <summary>The share of moved images that the latest check found fooled: the estimate for the next one.</summary>
    private double _fooledShare = InitialFooledShare;

    private void Admit(ReadOnlyMemory<float> images, int start, int admitted, IReadOnlyList<int>? trueLabels, IReadOnlyList<int>? targets,
        List<TState> resident, List<TState> finished)
    {
        int imageSize = Shape.Size, classes = Classifier.ClassCount;
        using IRows originals = Ops.Upload(images.Span.Slice(start * imageSize, admitted * imageSize), admitted, Shape.Channels);
        using ClassifierEvaluation? firstEvaluation = FirstEvaluation(originals, start, admitted, targets);
        float[] logits = firstEvaluation?.Logits ?? Ops.Logits(originals);
        for (int i = 0; i < admitted; i++)
        {
            int index = start + i;
            ReadOnlySpan<float> imageLogits = logits.AsSpan(i * classes, classes);
            TState state = Begin(index, images.Slice(index * imageSize, imageSize), imageLogits, targets?[index]);
            state.TopTwoGap = Logits.TopTwoGap(imageLogits);
            if (!AttackInputs.AllFinite(imageLogits))
                state.Finish(AttackOutcome.NumericalFailure, 0);
            else if (trueLabels is not null && trueLabels[index] != state.OriginalLabel)
                state.Finish(AttackOutcome.AlreadyMisclassified, 0);
            else if (state.Target == state.OriginalLabel)
                state.Finish(AttackOutcome.Fooled, 0); // the clean image already has the label asked for: nothing to move
            else if (Settings.MaxIterations == 0)
                state.Finish(AttackOutcome.MaxIterationsReached, 0);
            resident.Add(state);
            if (state.Outcome is not null) finished.Add(state);
        }
        Rows.Append(originals);
        int first = resident.Count - admitted;
        int[] starting = Enumerable.Range(first, admitted).Where(i => resident[i].Outcome is null).ToArray();
        if (starting.Length > 0) Start(starting.Select(i => resident[i]).ToList(), starting);
        if (firstEvaluation is not null && starting.Length > 0) StepAdmitted(resident, first, starting, firstEvaluation);
    }

    /// <summary>
    /// The admission's classifier call when it also serves the first step (<see cref="EngineSettings.StepsAtAdmission"/>):
    /// all logits with the margin gradients of the targets, chosen by <see cref="EngineSettings.TargetRanks"/> among each
    /// image's own logits or, in a targeted run, the caller's; null when the admission needs the logits only.
    /// </summary>
    private ClassifierEvaluation? FirstEvaluation(IRows originals, int start, int admitted, IReadOnlyList<int>? targets)
    {
        if (!Settings.StepsAtAdmission || Settings.MaxIterations == 0) return null;
        if (targets is null) return Ops.EvaluateRanked(originals, Settings.TargetRanks!);
        int[] given = Enumerable.Range(start, admitted).Select(i => targets[i]).ToArray();
        return Ops.Evaluate(originals, given, Settings.TargetsPerImage, allLogits: true);
    }

    /// <summary>
    /// The first step of freshly admitted images, from the evaluation that admitted them. An image whose targets came out
    /// differently from <see cref="Begin"/>'s (possible only when the call chose them by rank, with NaN logits) is left
    /// for the usual evaluation.
    /// </summary>
    private void StepAdmitted(List<TState> resident, int first, int[] positions, ClassifierEvaluation evaluation)
    {
        int k = Settings.TargetsPerImage, classes = Classifier.ClassCount;
        bool ranked = evaluation.Targets.Length > 0;
        var stepping = new List<int>(positions.Length);
        foreach (int position in positions)
        {
            int row = position - first;
            TState state = resident[position];
            if (ranked && !state.Targets.AsSpan().SequenceEqual(evaluation.Targets.AsSpan(row * k, k))) continue;
            if (evaluation.Finite[row]) stepping.Add(position);
            else state.Finish(AttackOutcome.NumericalFailure, 0);
        }
        if (stepping.Count == 0) return;
        int[] steppingPositions = stepping.ToArray(), rows = stepping.Select(p => p - first).ToArray();
        if (Settings.OriginalLabelLogits)
        {
            evaluation.ReferenceLogits = new float[evaluation.Count];
            for (int j = 0; j < rows.Length; j++)
                evaluation.ReferenceLogits[rows[j]] = evaluation.Logits[rows[j] * classes + resident[steppingPositions[j]].OriginalLabel];
        }
        Step(new StepBatch(stepping.Select(p => resident[p]).ToList(), steppingPositions, rows, evaluation));
    }

    /// <summary>
    /// Evaluates the images at <paramref name="positions"/> and steps those that go on. An image that has moved needs its
    /// label checked before it needs gradients; when enough of them are expected to be fooled by that check, the check is
    /// a forward pass of its own and the gradients are computed only for the images that survive it (see
    /// <see cref="ChecksBeforeGradients"/>).
    /// </summary>
    private void EvaluateAndStep(List<TState> resident, int[] positions)
    {
        int[] moved = positions.Where(p => resident[p].Iteration > 0).ToArray();
        bool separateCheck = moved.Length > 0 && ChecksBeforeGradients;
        if (separateCheck)
        {
            using (ClassifierEvaluation check = Evaluate(resident, moved, withGradients: false))
                Judge(resident, moved, check);
            UpdateFooledShare(resident, moved);
            positions = positions.Where(p => resident[p].Outcome is null).ToArray();
            if (positions.Length == 0) return;
        }
        using ClassifierEvaluation evaluation = Evaluate(resident, positions, withGradients: true);
        int[] stepRows = Judge(resident, positions, evaluation);
        if (!separateCheck && moved.Length > 0) UpdateFooledShare(resident, moved);
        if (stepRows.Length == 0) return;
        Step(new StepBatch(stepRows.Select(i => resident[positions[i]]).ToList(), stepRows.Select(i => positions[i]).ToArray(),
            stepRows, evaluation));
    }

    /// <summary>
    /// Whether moved images get a label check of their own before the gradient call. A combined call spends K backward
    /// passes on every image the call finds fooled; a separate check spends one more forward pass on every image it does
    /// not. With a backward pass per target costing about a forward pass, the check pays when the share p of moved images
    /// found fooled satisfies p·(1 + K) &gt; 1: ADef's MNIST preset and DeepFool (K = 9) check first while a tenth or more are
    /// fooled, the ImageNet preset (K = 1) only while more than half are, and PGD (never fooled before its last step) never.
    /// </summary>
    private bool ChecksBeforeGradients => _fooledShare * (1 + Settings.TargetsPerImage) > 1;

    private void UpdateFooledShare(List<TState> resident, int[] moved) =>
        _fooledShare = moved.Count(p => resident[p].Outcome == AttackOutcome.Fooled) / (double)moved.Length;

    private ClassifierEvaluation Evaluate(List<TState> resident, int[] positions, bool withGradients)
    {
        int k = Settings.TargetsPerImage, n = positions.Length;
        int[]? targets = null;
        if (withGradients)
        {
            targets = new int[n * k];
            for (int i = 0; i < n; i++) resident[positions[i]].Targets.CopyTo(targets, i * k);
        }
        using RowsLease images = Rows.Select(Rows.Current, positions);
        int[]? references = withGradients && Settings.OriginalLabelLogits ? positions.Select(p => resident[p].OriginalLabel).ToArray() : null;
        return Ops.Evaluate(images.Rows, targets, k, references, lossGradients: withGradients && Settings.LossGradients);
    }

    /// <summary>
    /// Records each image's label and finishes those that are fooled, not finite or out of iterations; returns the rows
    /// of <paramref name="evaluation"/> whose images go on.
    /// </summary>
    private int[] Judge(List<TState> resident, int[] positions, ClassifierEvaluation evaluation)
    {
        var going = new List<int>(positions.Length);
        for (int i = 0; i < positions.Length; i++)
        {
            TState state = resident[positions[i]];
            if (!evaluation.Finite[i])
            {
                state.Finish(AttackOutcome.NumericalFailure, state.Iteration);
                continue;
            }
            int label = evaluation.Labels[i];
            state.Label = label;
            state.TopTwoGap = evaluation.TopTwoGaps[i];
            if (state.Iteration > 0 && IsFooled(state, label))
                state.Finish(AttackOutcome.Fooled, state.Iteration);
            else if (state.Iteration >= Settings.MaxIterations)
                state.Finish(AttackOutcome.MaxIterationsReached, Settings.MaxIterations);
            else
                going.Add(i);
        }
        return going.ToArray();
    }
}
