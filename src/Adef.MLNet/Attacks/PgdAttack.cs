using Adef.MLNet.Attacks.Operations;
using Adef.MLNet.Classifiers;
using Adef.MLNet.Imaging;

namespace Adef.MLNet.Attacks;

/// <summary>
/// Projected gradient descent in ℓ∞ (Madry, Makelov, Schmidt, Tsipras, Vladu, ICLR 2018): from a random point of the
/// ε ball around x, <see cref="PgdOptions.Steps"/> steps <c>x ← clip(Π_ε(x + α·sign ∇ₓ CE(F(x), l)))</c>, where
/// <c>l</c> is the label attacked (the classifier's label of the clean image), Π_ε projects onto the ball and clip onto
/// the valid range. Every step is taken; success is decided at the end by re-running the classifier on the result, and
/// <see cref="AttackResult.Iterations"/> is the number of steps taken.
/// Batched through <see cref="IDifferentiableClassifier.ComputeLogitsAndLossGradients"/>.
/// </summary>
/// <example>
/// <code>
/// PgdResult[] results = new PgdAttack(classifier, new PgdOptions { Epsilon = 0.3 }).Run(images, trueLabels);
/// </code>
/// </example>
public sealed class PgdAttack : ImageAttack<PgdOptions, PgdResult>
{
    /// <summary>Creates the attack.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="classifier"/> is null.</exception>
    /// <exception cref="ArgumentException">An option is out of range (the exception names it).</exception>
    public PgdAttack(IDifferentiableClassifier classifier, PgdOptions? options = null)
        : base(classifier, options ?? new PgdOptions())
    {
        Options.Validate();
    }

    private protected override IAttackEngine<PgdResult> CreateEngine() => new Engine(Classifier, Options);

    private sealed class State(int index, ReadOnlyMemory<float> original, int originalLabel)
        : AttackImageState(index, original, originalLabel);

    /// <summary>PGD over <see cref="AttackOperations"/>: the current image is the only per-image row it changes.</summary>
    private sealed class Engine(IDifferentiableClassifier classifier, PgdOptions options)
        : BatchedAttack<State, PgdResult>(classifier, options)
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
