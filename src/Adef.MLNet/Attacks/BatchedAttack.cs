using Adef.MLNet.Attacks.Operations;
using Adef.MLNet.Classifiers;

namespace Adef.MLNet.Attacks;

/// <summary>
/// The batching shared by the iterative attacks, written once over <see cref="AttackOperations"/>. Up to
/// <see cref="AttackOptions.BatchSize"/> images are attacked at once; their clean images, current images and the attack's own rows
/// stay where the operations compute (host arrays, or tensors on the classifier's device). Each iteration sends
/// only the still-active images to the classifier: one call that returns their logits and all margin gradients the
/// step needs, preceded by a label check of its own when enough images are being fooled (see
/// <see cref="ChecksBeforeGradients"/>); an image's admission also yields its first gradients when its targets are ranks
/// of its clean logits. Only per-image labels, flags and norms come back to the host. An image that finishes is replaced
/// by the next waiting one.
/// </summary>
internal abstract class BatchedAttack<TState, TResult> : IAttackEngine<TResult>
    where TState : AttackImageState
    where TResult : AttackResult
{
    /// <summary>The share of moved images assumed fooled before any has been checked (so K = 1 starts with combined calls).</summary>
    private const double InitialFooledShare = 0.5;

    /// <summary>The share of moved images that the latest check found fooled: the estimate for the next one.</summary>
    private double _fooledShare = InitialFooledShare;

    protected BatchedAttack(IDifferentiableClassifier classifier, AttackOptions options)
    {
        Classifier = classifier ?? throw new ArgumentNullException(nameof(classifier));
        Shape = classifier.InputShape;
        Batching = options;
    }

    protected IDifferentiableClassifier Classifier { get; }

    protected ImageShape Shape { get; }

    /// <summary>The shared options: batch size and where the work runs.</summary>
    private AttackOptions Batching { get; }

    /// <summary>The operations of the run in progress.</summary>
    protected AttackOperations Ops { get; private set; } = null!;

    /// <summary>The rows of the resident images of the run in progress.</summary>
    protected ResidentRows Rows { get; private set; } = null!;

    protected abstract int MaxIterations { get; }

    protected abstract int TargetsPerImage { get; }

    /// <summary>Planes of the attack's own per-image rows (<see cref="ResidentRows.Aux"/>).</summary>
    protected abstract int AuxPlanes { get; }

    /// <summary>
    /// When set, each step receives <c>∇ₓ CE(F(x), Targets[0])</c> (the cross-entropy gradient of the seam) instead of
    /// margin gradients; <see cref="TargetsPerImage"/> must then be 1.
    /// </summary>
    protected virtual bool UsesLossGradients => false;

    /// <summary>
    /// Called once for the admitted images that will be attacked (not those finished at admission), at their resident
    /// <paramref name="positions"/>, before their first step (PGD's random start).
    /// </summary>
    protected virtual void Start(IReadOnlyList<TState> states, int[] positions)
    {
    }

    /// <summary>
    /// When an image's targets are the labels at these ranks of its clean logits (in this order), its admission computes
    /// their margin gradients too and takes its first step from them, saving the forward pass of a second evaluation of the
    /// clean image. Null (the default) when the targets are not ranks or <see cref="Start(IReadOnlyList{TState}, int[])"/>
    /// moves the images.
    /// </summary>
    protected virtual int[]? FirstTargetRanks => null;

    /// <summary>Creates the state of a fresh image from its clean logits (sets the targets).</summary>
    protected abstract TState Begin(int index, ReadOnlyMemory<float> image, ReadOnlySpan<float> logits);

    /// <summary>Called once for each admitted image that will be attacked (not for those finished at admission), before its first step.</summary>
    protected virtual void Start(TState state)
    {
    }

    /// <summary>Whether the label of the current image counts as success.</summary>
    protected abstract bool IsFooled(TState state, int label);

    /// <summary>
    /// Takes one step for every image of <paramref name="batch"/>, updating <see cref="Rows"/>; calls
    /// <see cref="AttackImageState.Finish"/> for an image that cannot step or whose new image is not finite.
    /// </summary>
    protected abstract void Step(StepBatch batch);

    /// <summary>Labels whose logits a step compares against (DeepFool: the original label); null when the step needs none.</summary>
    protected virtual int[]? ReferenceLabels(List<TState> resident, int[] positions) => null;

    /// <summary>Whether a finished image needs a final re-evaluation (e.g. ADef's overshoot).</summary>
    protected virtual bool NeedsFinalCheck(TState state) => false;

    /// <summary>Changes the rows of the images that need a final check (at resident <paramref name="positions"/>).</summary>
    protected virtual void PrepareFinalChecks(IReadOnlyList<TState> states, int[] positions)
    {
    }

    /// <summary>Receives the label of an image prepared by <see cref="PrepareFinalChecks"/>.</summary>
    protected virtual void CompleteFinalCheck(TState state, int label, float topTwoGap)
    {
    }

    /// <summary>Builds the result from the image's final current image and aux row (host copies).</summary>
    protected abstract TResult CreateResult(TState state, ReadOnlySpan<float> current, ReadOnlySpan<float> aux);

    /// <summary>Runs the attack, collecting the results in input order (a wrapper over the streaming form).</summary>
    public TResult[] Run(ReadOnlyMemory<float> images, IReadOnlyList<int>? trueLabels,
        IProgress<AttackProgress>? progress, CancellationToken cancellationToken)
    {
        int count = ValidateAndCount(images, trueLabels);
        var results = new TResult[count];
        try
        {
            Run(images, result => results[result.Index] = result, trueLabels, progress, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw new AttackCanceledException<TResult>(results.Where(r => r is not null).ToArray(), count, cancellationToken);
        }
        return results;
    }

    /// <summary>
    /// Runs the attack, handing each image's result to <paramref name="onResult"/> as soon as it finishes
    /// (finishing order) and keeping no reference to it. Cancellation throws <see cref="OperationCanceledException"/>.
    /// </summary>
    public void Run(ReadOnlyMemory<float> images, Action<TResult> onResult, IReadOnlyList<int>? trueLabels,
        IProgress<AttackProgress>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(onResult);
        int imageSize = Shape.Size;
        int count = ValidateAndCount(images, trueLabels);
        if (count == 0) return;
        CheckFinite(images.Span, imageSize);

        int batchSize = Math.Max(1, Math.Min(Batching.BatchSize, count)); // a large BatchSize must not size the buffers beyond the images given
        using AttackOperations ops = AttackOperationsFactory.Create(Classifier, Batching.Execution);
        using var rows = new ResidentRows(ops, Shape.Channels, AuxPlanes);
        Ops = ops;
        Rows = rows;
        _fooledShare = InitialFooledShare;
        try
        {
            var resident = new List<TState>(batchSize);
            int next = 0, completed = 0, fooled = 0;
            while (next < count || resident.Count > 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var finished = new List<TState>();
                if (next < count && resident.Count < batchSize)
                {
                    int admitted = Math.Min(batchSize - resident.Count, count - next);
                    Admit(images, next, admitted, trueLabels, resident, finished);
                    next += admitted;
                }

                int[] stepping = Positions(resident, s => s.Outcome is null && s.Iteration < MaxIterations);
                int[] evaluating = Positions(resident, s => s.Outcome is null && s.Iteration >= MaxIterations);
                if (stepping.Length > 0) EvaluateAndStep(resident, stepping);
                if (evaluating.Length > 0)
                {
                    using ClassifierEvaluation evaluation = Evaluate(resident, evaluating, withGradients: false);
                    Judge(resident, evaluating, evaluation);
                }

                // Results go out in the order of the former driver: images finished at admission first, then the others in batch order.
                var finishedAtAdmission = new HashSet<TState>(finished, ReferenceEqualityComparer.Instance);
                finished.AddRange(resident.Where(s => s.Outcome is not null && !finishedAtAdmission.Contains(s)));
                TResult[] done = Complete(finished, resident, batchSize);
                resident = Compact(resident);
                foreach (TResult result in done)
                {
                    completed++;
                    if (result.Success) fooled++;
                }
                progress?.Report(new AttackProgress(completed, count, resident.Count, fooled));
                for (int i = 0; i < done.Length; i++)
                {
                    onResult(done[i]);
                    done[i] = null!; // keep no reference once delivered
                }
            }
        }
        finally
        {
            Ops = null!;
            Rows = null!;
        }
    }

    /// <summary>The images of one step: resident positions and their rows in the classifier call that preceded it.</summary>
    protected sealed class StepBatch(List<TState> states, int[] positions, int[] evaluationRows, ClassifierEvaluation evaluation)
    {
        /// <summary>The stepping images.</summary>
        public List<TState> States { get; } = states;

        /// <summary>Their rows in <see cref="ResidentRows"/>.</summary>
        public int[] Positions { get; } = positions;

        /// <summary>Their rows in <see cref="Evaluation"/>.</summary>
        public int[] EvaluationRows { get; } = evaluationRows;

        /// <summary>The classifier call of this iteration.</summary>
        public ClassifierEvaluation Evaluation { get; } = evaluation;

        /// <summary>Number of stepping images.</summary>
        public int Count => States.Count;

        /// <summary>The margin gradients of the stepping images (K·C planes per row).</summary>
        public RowsLease Gradients(AttackOperations ops) =>
            ResidentRows.IsIdentity(EvaluationRows, Evaluation.Count)
                ? new RowsLease(Evaluation.Gradients!, owned: false)
                : new RowsLease(ops.Gather(Evaluation.Gradients!, EvaluationRows), owned: true);
    }

    private static int[] Positions(List<TState> resident, Func<TState, bool> predicate)
    {
        var positions = new List<int>(resident.Count);
        for (int i = 0; i < resident.Count; i++) if (predicate(resident[i])) positions.Add(i);
        return positions.ToArray();
    }

    private int ValidateAndCount(ReadOnlyMemory<float> images, IReadOnlyList<int>? trueLabels)
    {
        int imageSize = Shape.Size;
        if (images.Length % imageSize != 0)
            throw new ArgumentException(
                $"The image buffer holds {images.Length} values, which is not a whole number of {Shape} images ({imageSize} values each).",
                nameof(images));
        int count = images.Length / imageSize;
        if (trueLabels is not null && trueLabels.Count != count)
            throw new ArgumentException($"Got {trueLabels.Count} true labels for {count} images.", nameof(trueLabels));
        return count;
    }

    private void Admit(ReadOnlyMemory<float> images, int start, int admitted, IReadOnlyList<int>? trueLabels,
        List<TState> resident, List<TState> finished)
    {
        int imageSize = Shape.Size, classes = Classifier.ClassCount;
        using IRows originals = Ops.Upload(images.Span.Slice(start * imageSize, admitted * imageSize), admitted, Shape.Channels);
        int[]? ranks = MaxIterations > 0 ? FirstTargetRanks : null;
        using ClassifierEvaluation? firstEvaluation = ranks is null ? null : Ops.EvaluateRanked(originals, ranks);
        float[] logits = firstEvaluation?.Logits ?? Ops.Logits(originals);
        for (int i = 0; i < admitted; i++)
        {
            int index = start + i;
            ReadOnlySpan<float> imageLogits = logits.AsSpan(i * classes, classes);
            TState state = Begin(index, images.Slice(index * imageSize, imageSize), imageLogits);
            state.TopTwoGap = Logits.TopTwoGap(imageLogits);
            if (!AllFinite(imageLogits))
                state.Finish(AttackOutcome.NumericalFailure, 0);
            else if (trueLabels is not null && trueLabels[index] != state.OriginalLabel)
                state.Finish(AttackOutcome.AlreadyMisclassified, 0);
            else if (MaxIterations == 0)
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
    /// The first step of freshly admitted images, from the evaluation that admitted them (their targets were chosen by
    /// rank in that call). An image whose targets came out differently from <see cref="Begin"/>'s (only possible with
    /// NaN logits) is left for the usual evaluation.
    /// </summary>
    private void StepAdmitted(List<TState> resident, int first, int[] positions, ClassifierEvaluation evaluation)
    {
        int k = TargetsPerImage, classes = Classifier.ClassCount;
        var stepping = new List<int>(positions.Length);
        foreach (int position in positions)
        {
            int row = position - first;
            TState state = resident[position];
            if (!state.Targets.AsSpan().SequenceEqual(evaluation.Targets.AsSpan(row * k, k))) continue;
            if (evaluation.Finite[row]) stepping.Add(position);
            else state.Finish(AttackOutcome.NumericalFailure, 0);
        }
        if (stepping.Count == 0) return;
        int[] steppingPositions = stepping.ToArray(), rows = stepping.Select(p => p - first).ToArray();
        int[]? references = ReferenceLabels(resident, steppingPositions);
        if (references is not null)
        {
            evaluation.ReferenceLogits = new float[evaluation.Count];
            for (int j = 0; j < rows.Length; j++) evaluation.ReferenceLogits[rows[j]] = evaluation.Logits[rows[j] * classes + references[j]];
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
    private bool ChecksBeforeGradients => _fooledShare * (1 + TargetsPerImage) > 1;

    private void UpdateFooledShare(List<TState> resident, int[] moved) =>
        _fooledShare = moved.Count(p => resident[p].Outcome == AttackOutcome.Fooled) / (double)moved.Length;

    private ClassifierEvaluation Evaluate(List<TState> resident, int[] positions, bool withGradients)
    {
        int k = TargetsPerImage, n = positions.Length;
        int[]? targets = null;
        if (withGradients)
        {
            targets = new int[n * k];
            for (int i = 0; i < n; i++) resident[positions[i]].Targets.CopyTo(targets, i * k);
        }
        using RowsLease images = Rows.Select(Rows.Current, positions);
        return Ops.Evaluate(images.Rows, targets, k, withGradients ? ReferenceLabels(resident, positions) : null,
            lossGradients: withGradients && UsesLossGradients);
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
            else if (state.Iteration >= MaxIterations)
                state.Finish(AttackOutcome.MaxIterationsReached, MaxIterations);
            else
                going.Add(i);
        }
        return going.ToArray();
    }

    private TResult[] Complete(List<TState> finished, List<TState> resident, int batchSize)
    {
        if (finished.Count == 0) return Array.Empty<TResult>();
        var positionOf = new Dictionary<TState, int>(ReferenceEqualityComparer.Instance);
        for (int i = 0; i < resident.Count; i++) positionOf[resident[i]] = i;

        var rechecked = finished.Where(s => s.Outcome != AttackOutcome.NumericalFailure && NeedsFinalCheck(s)).ToList();
        if (rechecked.Count > 0)
        {
            int[] recheckedPositions = rechecked.Select(s => positionOf[s]).ToArray();
            PrepareFinalChecks(rechecked, recheckedPositions);
            for (int start = 0; start < rechecked.Count; start += batchSize)
            {
                int n = Math.Min(batchSize, rechecked.Count - start);
                using IRows images = Ops.Gather(Rows.Current, recheckedPositions.AsSpan(start, n));
                using ClassifierEvaluation evaluation = Ops.Evaluate(images, null, 0);
                for (int i = 0; i < n; i++)
                {
                    TState state = rechecked[start + i];
                    if (!evaluation.Finite[i])
                        state.Finish(AttackOutcome.NumericalFailure, state.ReportedIterations);
                    else
                        CompleteFinalCheck(state, evaluation.Labels[i], evaluation.TopTwoGaps[i]);
                }
            }
        }

        // The finished images' rows cross to the host once, in one copy each for the images and the aux rows.
        int[] positions = finished.Select(s => positionOf[s]).ToArray();
        float[] current, aux;
        using (IRows rows = Ops.Gather(Rows.Current, positions)) current = Ops.Download(rows);
        using (IRows rows = Ops.Gather(Rows.Aux, positions)) aux = Ops.Download(rows);
        int imageSize = Shape.Size, auxSize = aux.Length / finished.Count;
        var results = new TResult[finished.Count];
        Parallel.For(0, finished.Count, i => results[i] = CreateResult(finished[i],
            current.AsSpan(i * imageSize, imageSize), aux.AsSpan(i * auxSize, auxSize)));
        return results;
    }

    private List<TState> Compact(List<TState> resident)
    {
        int[] keep = Positions(resident, s => s.Outcome is null);
        Rows.Retain(keep);
        return keep.Select(i => resident[i]).ToList();
    }

    /// <summary>Refuses NaN and infinite pixels, naming the first image that has one.</summary>
    private static void CheckFinite(ReadOnlySpan<float> images, int imageSize)
    {
        int bad = images.IndexOfAnyExceptInRange(float.MinValue, float.MaxValue);
        if (bad < 0) return;
        int image = bad / imageSize;
        throw new InvalidImageException(
            $"Image {image} has a {(float.IsNaN(images[bad]) ? "NaN" : "infinite")} pixel (value {images[bad]} at offset {bad % imageSize} " +
            "within the image); attacks need finite pixels.", image);
    }

    private static bool AllFinite(ReadOnlySpan<float> values) => values.IndexOfAnyExceptInRange(float.MinValue, float.MaxValue) < 0;
}
