using Adef.MLNet.Classifiers;

namespace Adef.MLNet.Attacks;

/// <summary>
/// The batching shared by the iterative attacks. Up to <c>batchSize</c> images are attacked at once;
/// each iteration sends only the still-active images to the classifier, in one call that returns
/// their logits and all margin gradients the step needs; an image that finishes is replaced by the
/// next waiting one. The per-image step runs in parallel on the CPU.
/// </summary>
internal abstract class BatchedAttack<TState, TResult>
    where TState : AttackImageState
    where TResult : AttackResult
{
    protected BatchedAttack(IDifferentiableClassifier classifier)
    {
        Classifier = classifier ?? throw new ArgumentNullException(nameof(classifier));
        Shape = classifier.InputShape;
    }

    protected IDifferentiableClassifier Classifier { get; }

    protected ImageShape Shape { get; }

    protected abstract int MaxIterations { get; }

    protected abstract int TargetsPerImage { get; }

    /// <summary>
    /// When set, each step receives <c>∇ₓ CE(F(x), Targets[0])</c> (the cross-entropy gradient of the seam) instead of
    /// margin gradients; <see cref="TargetsPerImage"/> must then be 1.
    /// </summary>
    protected virtual bool UsesLossGradients => false;

    /// <summary>Creates the state of a fresh image from its clean logits (sets the targets).</summary>
    protected abstract TState Begin(int index, ReadOnlyMemory<float> image, ReadOnlySpan<float> logits);

    /// <summary>Called once for each admitted image that will be attacked (not for those finished at admission), before its first step.</summary>
    protected virtual void Start(TState state)
    {
    }

    /// <summary>Whether the label of the current image counts as success.</summary>
    protected abstract bool IsFooled(TState state, int label);

    /// <summary>Takes one step from the current image; calls <see cref="AttackImageState.Finish"/> when it cannot.</summary>
    protected abstract void Step(TState state, ReadOnlySpan<float> logits, ReadOnlySpan<float> gradients);

    /// <summary>Prepares a final re-evaluation of a finished image (e.g. ADef's overshoot); false when none is needed.</summary>
    protected virtual bool PrepareFinalCheck(TState state) => false;

    /// <summary>Receives the label of the image prepared by <see cref="PrepareFinalCheck"/>.</summary>
    protected virtual void CompleteFinalCheck(TState state, int label, float topTwoGap)
    {
    }

    protected abstract TResult CreateResult(TState state);

    /// <summary>Runs the attack, collecting the results in input order (a wrapper over the streaming form).</summary>
    public TResult[] Run(ReadOnlyMemory<float> images, IReadOnlyList<int>? trueLabels, int batchSize,
        IProgress<AttackProgress>? progress, CancellationToken cancellationToken)
    {
        int count = ValidateAndCount(images, trueLabels);
        var results = new TResult[count];
        try
        {
            Run(images, result => results[result.Index] = result, trueLabels, batchSize, progress, cancellationToken);
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
    public void Run(ReadOnlyMemory<float> images, Action<TResult> onResult, IReadOnlyList<int>? trueLabels, int batchSize,
        IProgress<AttackProgress>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(onResult);
        int imageSize = Shape.Size;
        int count = ValidateAndCount(images, trueLabels);
        if (count == 0) return;
        CheckFinite(images.Span, imageSize);

        batchSize = Math.Max(1, Math.Min(batchSize, count)); // a large BatchSize must not size the buffers beyond the images given
        var buffers = new Buffers(batchSize, imageSize, Classifier.ClassCount, TargetsPerImage);
        var active = new List<TState>(batchSize);
        var finished = new List<TState>();
        int next = 0, completed = 0, fooled = 0;
        while (next < count || active.Count > 0)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (next < count && active.Count < batchSize)
            {
                int admitted = Math.Min(batchSize - active.Count, count - next);
                Admit(images, next, admitted, trueLabels, buffers, active, finished);
                next += admitted;
            }

            var stepping = active.Where(s => s.Iteration < MaxIterations).ToList();
            var evaluating = active.Where(s => s.Iteration >= MaxIterations).ToList();
            if (stepping.Count > 0) Evaluate(stepping, buffers, withGradients: true);
            if (evaluating.Count > 0) Evaluate(evaluating, buffers, withGradients: false);

            finished.AddRange(active.Where(s => s.Outcome is not null));
            active.RemoveAll(s => s.Outcome is not null);
            TResult[] done = Complete(finished, buffers);
            finished.Clear();
            foreach (TResult result in done)
            {
                completed++;
                if (result.Success) fooled++;
            }
            progress?.Report(new AttackProgress(completed, count, active.Count, fooled));
            for (int i = 0; i < done.Length; i++)
            {
                onResult(done[i]);
                done[i] = null!; // keep no reference once delivered
            }
        }
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
        Buffers buffers, List<TState> active, List<TState> finished)
    {
        int imageSize = Shape.Size, classes = Classifier.ClassCount;
        Span<float> logits = buffers.Logits.AsSpan(0, admitted * classes);
        Classifier.ComputeLogits(images.Span.Slice(start * imageSize, admitted * imageSize), admitted, logits);
        for (int i = 0; i < admitted; i++)
        {
            int index = start + i;
            ReadOnlySpan<float> imageLogits = logits.Slice(i * classes, classes);
            TState state = Begin(index, images.Slice(index * imageSize, imageSize), imageLogits);
            state.TopTwoGap = Logits.TopTwoGap(imageLogits);
            if (!AllFinite(imageLogits))
                state.Finish(AttackOutcome.NumericalFailure, 0);
            else if (trueLabels is not null && trueLabels[index] != state.OriginalLabel)
                state.Finish(AttackOutcome.AlreadyMisclassified, 0);
            else if (MaxIterations == 0)
                state.Finish(AttackOutcome.MaxIterationsReached, 0);
            if (state.Outcome is null) Start(state);
            (state.Outcome is null ? active : finished).Add(state);
        }
    }

    private void Evaluate(List<TState> states, Buffers buffers, bool withGradients)
    {
        int imageSize = Shape.Size, classes = Classifier.ClassCount, k = TargetsPerImage, n = states.Count;
        for (int i = 0; i < n; i++)
        {
            states[i].Current.CopyTo(buffers.Images, i * imageSize);
            if (withGradients) states[i].Targets.CopyTo(buffers.Targets, i * k);
        }
        ReadOnlySpan<float> images = buffers.Images.AsSpan(0, n * imageSize);
        if (withGradients && UsesLossGradients)
            Classifier.ComputeLogitsAndLossGradients(images, n, buffers.Targets.AsSpan(0, n),
                buffers.Logits.AsSpan(0, n * classes), buffers.Gradients.AsSpan(0, n * imageSize));
        else if (withGradients)
            Classifier.ComputeLogitsAndMarginGradients(images, n, buffers.Targets.AsSpan(0, n * k), k,
                buffers.Logits.AsSpan(0, n * classes), buffers.Gradients.AsSpan(0, n * k * imageSize));
        else
            Classifier.ComputeLogits(images, n, buffers.Logits.AsSpan(0, n * classes));

        Parallel.For(0, n, i =>
        {
            TState state = states[i];
            ReadOnlySpan<float> logits = buffers.Logits.AsSpan(i * classes, classes);
            ReadOnlySpan<float> gradients = buffers.Gradients.AsSpan(i * k * imageSize, k * imageSize);
            if (!AllFinite(logits) || (withGradients && !AllFinite(gradients)))
            {
                state.Finish(AttackOutcome.NumericalFailure, state.Iteration);
                return;
            }
            int label = Logits.ArgMax(logits);
            state.Label = label;
            state.TopTwoGap = Logits.TopTwoGap(logits);
            if (state.Iteration > 0 && IsFooled(state, label))
                state.Finish(AttackOutcome.Fooled, state.Iteration);
            else if (state.Iteration >= MaxIterations)
                state.Finish(AttackOutcome.MaxIterationsReached, MaxIterations);
            else
                Step(state, logits, gradients);
            if (state.Outcome is null && !AllFinite(state.Current))
                state.Finish(AttackOutcome.NumericalFailure, state.Iteration); // the step itself overflowed
        });
    }

    private TResult[] Complete(List<TState> finished, Buffers buffers)
    {
        var rechecked = finished.Where(s => s.Outcome != AttackOutcome.NumericalFailure && PrepareFinalCheck(s)).ToList();
        int imageSize = Shape.Size, classes = Classifier.ClassCount, batch = buffers.BatchSize;
        for (int start = 0; start < rechecked.Count; start += batch)
        {
            int n = Math.Min(batch, rechecked.Count - start);
            for (int i = 0; i < n; i++) rechecked[start + i].Current.CopyTo(buffers.Images, i * imageSize);
            Span<float> logits = buffers.Logits.AsSpan(0, n * classes);
            Classifier.ComputeLogits(buffers.Images.AsSpan(0, n * imageSize), n, logits);
            for (int i = 0; i < n; i++)
            {
                ReadOnlySpan<float> imageLogits = logits.Slice(i * classes, classes);
                if (!AllFinite(imageLogits))
                    rechecked[start + i].Finish(AttackOutcome.NumericalFailure, rechecked[start + i].ReportedIterations);
                else
                    CompleteFinalCheck(rechecked[start + i], Logits.ArgMax(imageLogits), Logits.TopTwoGap(imageLogits));
            }
        }
        var results = new TResult[finished.Count];
        Parallel.For(0, finished.Count, i => results[i] = CreateResult(finished[i]));
        return results;
    }

    /// <summary>Refuses NaN and infinite pixels, naming the first image that has one.</summary>
    private static void CheckFinite(ReadOnlySpan<float> images, int imageSize)
    {
        int bad = images.IndexOfAnyExceptInRange(float.MinValue, float.MaxValue);
        if (bad < 0) return;
        int image = bad / imageSize;
        throw new AdefInputException(
            $"Image {image} has a {(float.IsNaN(images[bad]) ? "NaN" : "infinite")} pixel (value {images[bad]} at offset {bad % imageSize} " +
            "within the image); attacks need finite pixels.", image);
    }

    private static bool AllFinite(ReadOnlySpan<float> values) => values.IndexOfAnyExceptInRange(float.MinValue, float.MaxValue) < 0;

    private sealed class Buffers(int batchSize, int imageSize, int classes, int targetsPerImage)
    {
        public int BatchSize { get; } = batchSize;
        public float[] Images { get; } = new float[batchSize * imageSize];
        public float[] Logits { get; } = new float[batchSize * classes];
        public int[] Targets { get; } = new int[batchSize * targetsPerImage];
        public float[] Gradients { get; } = new float[(long)batchSize * targetsPerImage * imageSize];
    }
}
