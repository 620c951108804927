using Adef.MLNet.Attacks.Operations;
using Adef.MLNet.Classifiers;
using Adef.MLNet.Imaging;

namespace Adef.MLNet.Attacks;

/// <summary>
/// Projected gradient descent in ℓ∞ (Madry, Makelov, Schmidt, Tsipras, Vladu, ICLR 2018): from a random point of the
/// ε ball around x, <see cref="PgdOptions.Steps"/> steps <c>x ← clip(Π_ε(x + α·sign ∇ₓ CE(F(x), l)))</c>, where
/// <c>l</c> is the label attacked (the classifier's label of the clean image), Π_ε projects onto the ball and clip onto
/// the valid range. Every step is taken; success is decided at the end by re-running the classifier on the result.
/// Batched through <see cref="IDifferentiableClassifier.ComputeLogitsAndLossGradients"/>.
/// </summary>
/// <example>
/// <code>
/// PgdResult[] results = new PgdAttack(classifier, new PgdOptions { Epsilon = 0.3 }).Run(images, trueLabels);
/// </code>
/// </example>
public sealed class PgdAttack
{
    private readonly IDifferentiableClassifier _classifier;

    /// <summary>Creates the attack.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="classifier"/> is null.</exception>
    /// <exception cref="ArgumentException">An option is out of range (the exception names it).</exception>
    public PgdAttack(IDifferentiableClassifier classifier, PgdOptions? options = null)
    {
        _classifier = classifier ?? throw new ArgumentNullException(nameof(classifier));
        Options = options ?? new PgdOptions();
        Options.Validate();
    }

    /// <summary>The options in use.</summary>
    public PgdOptions Options { get; }

    /// <summary>Attacks a batch of images.</summary>
    /// <param name="images">N·C·H·W values in the classifier's input space (not modified).</param>
    /// <param name="trueLabels">Optional N labels; images the classifier already gets wrong are not attacked.</param>
    /// <param name="progress">Receives a report after every step.</param>
    /// <param name="cancellationToken">Checked once per step.</param>
    /// <returns>One result per image, in input order; <see cref="AttackResult.Iterations"/> is the number of steps taken.</returns>
    /// <exception cref="AdefInputException">A pixel is NaN or infinite (the message names the image).</exception>
    /// <exception cref="AttackCanceledException{TResult}">
    /// <paramref name="cancellationToken"/> was canceled; the exception (an <see cref="OperationCanceledException"/>)
    /// carries the results of the images finished so far. Typed <c>AttackCanceledException&lt;PgdResult&gt;</c>.
    /// </exception>
    public PgdResult[] Run(ReadOnlyMemory<float> images, IReadOnlyList<int>? trueLabels = null,
        IProgress<AttackProgress>? progress = null, CancellationToken cancellationToken = default) =>
        new Engine(_classifier, Options).Run(images, trueLabels, Options.BatchSize, progress, cancellationToken);

    /// <summary>
    /// Attacks a batch of images, handing each image's result to <paramref name="onResult"/> as soon as that image
    /// finishes, so long runs need not hold every result. The attack keeps no reference to a delivered result.
    /// </summary>
    /// <param name="images">N·C·H·W values in the classifier's input space (not modified).</param>
    /// <param name="onResult">Called once per image, in finishing order (<see cref="AttackResult.Index"/> names the image), on the calling thread.</param>
    /// <param name="trueLabels">Optional N labels; images the classifier already gets wrong are not attacked.</param>
    /// <param name="progress">Receives a report after every step.</param>
    /// <param name="cancellationToken">Checked once per step.</param>
    /// <exception cref="AdefInputException">A pixel is NaN or infinite (the message names the image).</exception>
    /// <exception cref="OperationCanceledException">
    /// <paramref name="cancellationToken"/> was canceled; the results of the images finished so far were already delivered.
    /// </exception>
    public void Run(ReadOnlyMemory<float> images, Action<PgdResult> onResult, IReadOnlyList<int>? trueLabels = null,
        IProgress<AttackProgress>? progress = null, CancellationToken cancellationToken = default) =>
        new Engine(_classifier, Options).Run(images, onResult, trueLabels, Options.BatchSize, progress, cancellationToken);

    private sealed class State(int index, ReadOnlyMemory<float> original, int originalLabel)
        : AttackImageState(index, original, originalLabel);

    /// <summary>PGD over <see cref="IBatchOperations"/>: the current image is the only per-image row it changes.</summary>
    private sealed class Engine(IDifferentiableClassifier classifier, PgdOptions options)
        : BatchedAttack<State, PgdResult>(classifier, options.Execution, options.AllowTf32)
    {
        private readonly float _epsilon = (float)options.Epsilon;
        private readonly float _step = (float)options.StepSize;
        private readonly float _min = options.ClipMin ?? float.NegativeInfinity;
        private readonly float _max = options.ClipMax ?? float.PositiveInfinity;

        protected override int MaxIterations => options.Steps;

        protected override int TargetsPerImage => 1;

        protected override int AuxPlanes => 0;

        protected override bool UsesLossGradients => true;

        protected override State Begin(int index, ReadOnlyMemory<float> image, ReadOnlySpan<float> logits)
        {
            int label = Logits.ArgMax(logits);
            return new State(index, image, label) { Targets = new[] { label } };
        }

        /// <summary>The random start (images not attacked keep their clean pixels): noise drawn on the host per image, seeded by its index.</summary>
        protected override void Start(IReadOnlyList<State> states, int[] positions)
        {
            if (!options.RandomStart || _epsilon == 0) return;
            int size = Shape.Size;
            var noise = new float[states.Count * size];
            for (int i = 0; i < states.Count; i++)
            {
                var random = new Random(unchecked(options.Seed * 1_000_003 + states[i].Index));
                for (int p = 0; p < size; p++) noise[i * size + p] = (float)((random.NextDouble() * 2 - 1) * options.Epsilon);
            }
            using IRows noiseRows = Ops.Upload(noise, states.Count, Shape.Channels);
            using IRows originals = Ops.Gather(Rows.Originals, positions);
            using IRows shifted = Ops.AddScaledClamped(originals, noiseRows, 1, float.NegativeInfinity, float.PositiveInfinity);
            using IRows started = Ops.ProjectOntoBall(shifted, originals, _epsilon, _min, _max);
            Ops.Scatter(Rows.Current, positions, started);
        }

        /// <summary>Only the final image counts: every step is taken.</summary>
        protected override bool IsFooled(State state, int label) => state.Iteration >= options.Steps && label != state.OriginalLabel;

        /// <summary>x ← clip(Π_ε(x + α·sign ∇ₓ CE)).</summary>
        protected override void Step(StepBatch batch)
        {
            using RowsLease gradients = batch.Gradients(Ops);
            using IRows current = Ops.Gather(Rows.Current, batch.Positions);
            Ops.AddScaledInPlace(current, gradients.Rows, Enumerable.Repeat(_step, batch.Count).ToArray(), signOnly: true);
            using IRows originals = Ops.Gather(Rows.Originals, batch.Positions);
            using IRows projected = Ops.ProjectOntoBall(current, originals, _epsilon, _min, _max);
            Ops.Scatter(Rows.Current, batch.Positions, projected);
            bool[] finite = Ops.AllFinite(projected);
            for (int j = 0; j < batch.Count; j++)
            {
                State state = batch.States[j];
                state.Iteration++;
                if (!finite[j]) state.Finish(AttackOutcome.NumericalFailure, state.Iteration);
            }
        }

        protected override PgdResult CreateResult(State state, ReadOnlySpan<float> current, ReadOnlySpan<float> aux)
        {
            ReadOnlySpan<float> original = state.Original.Span;
            var perturbation = new float[Shape.Size];
            for (int p = 0; p < perturbation.Length; p++) perturbation[p] = current[p] - original[p];
            return new PgdResult
            {
                Index = state.Index,
                OriginalLabel = state.OriginalLabel,
                AdversarialLabel = state.Label,
                Outcome = state.Outcome!.Value,
                Iterations = state.ReportedIterations,
                AdversarialImage = current.ToArray(),
                Perturbation = perturbation,
                PixelL2 = FieldNorms.L2(perturbation),
                PixelLInf = FieldNorms.LInf(perturbation),
            };
        }
    }
}
