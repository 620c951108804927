using Adef.MLNet.Attacks.Operations;
using Adef.MLNet.Classifiers;
using Adef.MLNet.Imaging;

namespace Adef.MLNet.Attacks;

/// <summary>
/// Projected gradient descent in ℓ∞ (Madry, Makelov, Schmidt, Tsipras, Vladu, ICLR 2018): from a random point of the
/// ε ball around x, <see cref="PgdOptions.Steps"/> steps <c>x ← clip(Π_ε(x + α·sign ∇ₓ CE(F(x), l)))</c>, where
/// <c>l</c> is the label attacked (the classifier's label of the clean image), Π_ε projects onto the ball and clip onto
/// the valid range. Given a target t per image, the steps descend the loss of t instead:
/// <c>x ← clip(Π_ε(x − α·sign ∇ₓ CE(F(x), t)))</c>, and success is the final label t. Every step is taken; success is decided
/// at the end by re-running the classifier on the result, and <see cref="AttackResult.Iterations"/> is the number of steps taken.
/// Batched through <see cref="IDifferentiableClassifier.ComputeLogitsAndLossGradients"/>.
/// </summary>
/// <example>
/// <code>
/// PerturbationResult[] results = new PgdAttack(classifier, new PgdOptions { Epsilon = 0.3 }).Run(images, trueLabels);
/// </code>
/// </example>
public sealed class PgdAttack : ImageAttack<PgdOptions, PerturbationResult>
{
    /// <summary>Creates the attack.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="classifier"/> is null.</exception>
    /// <exception cref="ArgumentException">An option is out of range (the exception names it).</exception>
    public PgdAttack(IDifferentiableClassifier classifier, PgdOptions? options = null)
        : base(classifier, options ?? new PgdOptions())
    {
        Options.Validate();
        Options.Bounds(Classifier); // an explicit bound outside the classifier's valid values fails here, not at the first step
    }

    private protected override void RunEngine(ReadOnlyMemory<float> images, Action<PerturbationResult> onResult, IReadOnlyList<int>? trueLabels,
        IReadOnlyList<int>? targets, IProgress<AttackProgress>? progress, CancellationToken cancellationToken) =>
        new Engine(Classifier, Options).Run(images, onResult, trueLabels, targets, progress, cancellationToken);

    /// <summary>PGD over <see cref="AttackOperations"/>: the current image is the only per-image row it changes.</summary>
    private sealed class Engine(IDifferentiableClassifier classifier, PgdOptions options)
        : BatchedAttack<AttackImageState, PerturbationResult>(classifier, options,
            new EngineSettings(MaxIterations: options.Steps, TargetsPerImage: 1, AuxPlanes: 0, LossGradients: true))
    {
        /// <summary>ε, less half a level of the grid with valid images: rounding the projected image then moves it by at most half a
        /// level, so the rounded iterate stays within ε of a clean image on the grid.</summary>
        private readonly float _epsilon = (float)Math.Max(0, options.Epsilon
            - (options.ValidImages ? PixelGrid.HalfLevel(PixelGrid.Of(classifier)) : 0));
        private readonly float _step = (float)options.StepSize;
        private readonly ValueBounds _bounds = options.Bounds(classifier);

        /// <summary>The loss is taken at the label attacked: the clean label, whose loss the steps raise, or the target, whose loss they lower.</summary>
        protected override AttackImageState Begin(int index, ReadOnlyMemory<float> image, ReadOnlySpan<float> logits, int? target)
        {
            int label = Logits.ArgMax(logits);
            return new AttackImageState(index, image, label, target) { Targets = [target ?? label] };
        }

        /// <summary>The random start (images not attacked keep their clean pixels): noise drawn on the host per image, seeded by its index.</summary>
        protected override void Start(IReadOnlyList<AttackImageState> states, int[] positions)
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
            using IRows shifted = Ops.AddScaledClamped(originals, noiseRows, 1, ValueBounds.None(Shape.Channels));
            using IRows started = Ops.ProjectOntoBall(shifted, originals, _epsilon, _bounds);
            using IRows valid = Grid is null ? null! : Rounded(started);
            Ops.Scatter(Rows.Current, positions, Grid is null ? started : valid);
        }

        /// <summary>The rounded image of a finished image is judged as its final one, whatever its steps (also at 0 steps).</summary>
        protected override bool FoolsOnGrid(AttackImageState state, int label) => state.Reached(label);

        /// <summary>Only the final image counts: every step is taken.</summary>
        protected override bool IsFooled(AttackImageState state, int label) => state.Iteration >= options.Steps && state.Reached(label);

        /// <summary>x ← clip(Π_ε(x + α·sign ∇ₓ CE(F(x), l))), or clip(Π_ε(x − α·sign ∇ₓ CE(F(x), t))) towards a target t.</summary>
        protected override void Step(StepBatch batch)
        {
            using RowsLease gradients = batch.Gradients(Ops);
            using IRows current = Ops.Gather(Rows.Current, batch.Positions);
            float[] steps = batch.States.Select(state => state.Target is null ? _step : -_step).ToArray();
            Ops.AddScaledInPlace(current, gradients.Rows, steps, signOnly: true);
            using IRows originals = Ops.Gather(Rows.Originals, batch.Positions);
            using IRows projected = Ops.ProjectOntoBall(current, originals, _epsilon, _bounds);
            using IRows valid = Grid is null ? null! : Rounded(projected); // valid images: the rounding is part of the projection
            Ops.Scatter(Rows.Current, batch.Positions, Grid is null ? projected : valid);
            bool[] finite = Ops.AllFinite(projected);
            for (int j = 0; j < batch.Count; j++)
            {
                AttackImageState state = batch.States[j];
                state.Iteration++;
                if (!finite[j]) state.Finish(AttackOutcome.NumericalFailure, state.Iteration);
            }
        }

        protected override PerturbationResult CreateResult(AttackImageState state, ReadOnlySpan<float> current, ReadOnlySpan<float> aux) =>
            PerturbationResult.Create(state, current);
    }
}
