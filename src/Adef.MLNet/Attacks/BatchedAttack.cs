using Adef.MLNet.Attacks.Operations;
using Adef.MLNet.Classifiers;

namespace Adef.MLNet.Attacks;

/// <summary>
/// The batching shared by the iterative attacks, written once over <see cref="AttackOperations"/>. Up to
/// <see cref="AttackOptions.BatchSize"/> images are attacked at once; their clean images, current images and the attack's own rows
/// stay where the operations compute (host arrays, or the classifier's device). Each iteration sends only the still-active
/// images to the classifier: one call that returns their logits and all margin gradients the step needs, preceded by a label
/// check of its own when enough images are being fooled (see <see cref="ChecksBeforeGradients"/>); an image's admission also
/// yields its first gradients when its targets are ranks of its clean logits or were given by the caller. Only per-image labels, flags and norms come back
/// to the host. An image that finishes is replaced by the next waiting one.
/// </summary>
/// <remarks>
/// An attack declares its shape in <see cref="EngineSettings"/> and its algorithm in six hooks: <see cref="Begin"/> (an
/// image's targets from its clean logits, or the caller's target), <see cref="Start"/> (moving images before their first step), <see cref="IsFooled"/>,
/// <see cref="Step"/>, <see cref="Conclude"/> (last changes to finished images) and <see cref="CreateResult"/>.
/// The driver's parts: this file (the run), <c>BatchedAttack.Iteration.cs</c> (admission, evaluation, judging) and
/// <c>BatchedAttack.Results.cs</c> (completion).
/// </remarks>
internal abstract partial class BatchedAttack<TState, TResult>
    where TState : AttackImageState
    where TResult : AttackResult
{
    private readonly AttackOptions _batching;

    /// <summary>The most images attacked at once in the run in progress.</summary>
    private int _batchSize;

    protected BatchedAttack(IDifferentiableClassifier classifier, AttackOptions options, EngineSettings settings)
    {
        Classifier = classifier ?? throw new ArgumentNullException(nameof(classifier));
        Shape = classifier.InputShape;
        _batching = options;
        Settings = settings;
        Grid = options.ValidImages ? PixelGrid.Of(classifier) : null;
    }

    /// <summary>The preprocessing whose 8-bit grid the returned images lie on (<see cref="AttackOptions.ValidImages"/>), or null.</summary>
    protected Data.ImagePreprocessing? Grid { get; }

    protected IDifferentiableClassifier Classifier { get; }

    protected ImageShape Shape { get; }

    /// <summary>The attack's shape: iterations, targets, its own rows, which gradients.</summary>
    protected EngineSettings Settings { get; }

    /// <summary>The operations of the run in progress.</summary>
    protected AttackOperations Ops { get; private set; } = null!;

    /// <summary>The rows of the resident images of the run in progress.</summary>
    protected ResidentRows Rows { get; private set; } = null!;

    /// <summary>
    /// Creates the state of a fresh image from its clean logits and, in a targeted run, the label the caller asked for
    /// (sets the targets whose gradients its steps need).
    /// </summary>
    protected abstract TState Begin(int index, ReadOnlyMemory<float> image, ReadOnlySpan<float> logits, int? target);

    /// <summary>
    /// Called once for the admitted images that will be attacked (not those finished at admission), at their resident
    /// <paramref name="positions"/>, before their first step (PGD's random start).
    /// </summary>
    protected virtual void Start(IReadOnlyList<TState> states, int[] positions)
    {
    }

    /// <summary>Whether the label of the current image counts as success.</summary>
    protected abstract bool IsFooled(TState state, int label);

    /// <summary>
    /// Takes one step for every image of <paramref name="batch"/>, updating <see cref="Rows"/>; calls
    /// <see cref="AttackImageState.Finish"/> for an image that cannot step or whose new image is not finite.
    /// </summary>
    protected abstract void Step(StepBatch batch);

    /// <summary>
    /// Called with the images that have just finished (at their resident <paramref name="positions"/>), before their rows are
    /// read: the last changes an attack makes to a finished image (ADef's overshoot), re-checked with <see cref="Recheck"/>.
    /// </summary>
    protected virtual void Conclude(IReadOnlyList<TState> finished, int[] positions)
    {
    }

    /// <summary>
    /// With <see cref="AttackOptions.ValidImages"/>: moves the images at <paramref name="positions"/>, whose rounded forms stopped
    /// fooling, further along their attack, to <see cref="RepairScale"/>(<paramref name="attempt"/>) times the attack's own
    /// change, and writes the new current images, not yet rounded; returns, per image, whether it could move (false ends it as
    /// <see cref="AttackOutcome.LostToRounding"/>, e.g. at a budget). The default cannot move any.
    /// </summary>
    protected virtual bool[] Grow(IReadOnlyList<TState> states, int[] positions, int attempt) => new bool[states.Count];

    /// <summary>Whether the rounded image's label counts as success (by default <see cref="IsFooled"/>).</summary>
    protected virtual bool FoolsOnGrid(TState state, int label) => IsFooled(state, label);

    /// <summary>Builds the result from the image's final current image and aux row (host copies).</summary>
    protected abstract TResult CreateResult(TState state, ReadOnlySpan<float> current, ReadOnlySpan<float> aux);

    /// <summary>
    /// Runs the attack, handing each image's result to <paramref name="onResult"/> as soon as it finishes
    /// (finishing order) and keeping no reference to it. <paramref name="targets"/> (checked, one per image) requires an
    /// engine whose settings were made for a targeted run. Cancellation throws <see cref="OperationCanceledException"/>.
    /// </summary>
    public void Run(ReadOnlyMemory<float> images, Action<TResult> onResult, IReadOnlyList<int>? trueLabels, IReadOnlyList<int>? targets,
        IProgress<AttackProgress>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(onResult);
        int count = AttackInputs.Count(images, Shape, Classifier.ClassCount, trueLabels, targets);
        if (count == 0) return;
        AttackInputs.CheckFinite(images.Span, Shape.Size);

        _batchSize = Math.Max(1, Math.Min(_batching.BatchSize, count)); // a large BatchSize must not size the buffers beyond the images given
        using AttackOperations ops = AttackOperationsFactory.Create(Classifier, _batching.Execution);
        using var rows = new ResidentRows(ops, Shape.Channels, Settings.AuxPlanes);
        Ops = ops;
        Rows = rows;
        _fooledShare = InitialFooledShare;
        try
        {
            var resident = new List<TState>(_batchSize);
            int next = 0, completed = 0, fooled = 0;
            while (next < count || resident.Count > 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var finished = new List<TState>();
                if (next < count && resident.Count < _batchSize)
                {
                    int admitted = Math.Min(_batchSize - resident.Count, count - next);
                    Admit(images, next, admitted, trueLabels, targets, resident, finished);
                    next += admitted;
                }

                int[] stepping = Positions(resident, s => s.Outcome is null && s.Iteration < Settings.MaxIterations);
                int[] evaluating = Positions(resident, s => s.Outcome is null && s.Iteration >= Settings.MaxIterations);
                if (stepping.Length > 0) EvaluateAndStep(resident, stepping);
                if (evaluating.Length > 0)
                {
                    using ClassifierEvaluation evaluation = Evaluate(resident, evaluating, withGradients: false);
                    Judge(resident, evaluating, evaluation);
                }

                // Results go out with the images finished at admission first, then the others in batch order.
                var finishedAtAdmission = new HashSet<TState>(finished, ReferenceEqualityComparer.Instance);
                finished.AddRange(resident.Where(s => s.Outcome is not null && !finishedAtAdmission.Contains(s)));
                TResult[] done = Complete(finished, resident);
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
}
