using Adef.MLNet.Attacks.Operations;
using Adef.MLNet.Classifiers;
using Adef.MLNet.Imaging;

namespace Adef.MLNet.Attacks;

/// <summary>
/// ADef (Alaifari, Alberti, Gauksson, ICLR 2019): finds a small vector field τ such that the
/// classifier mislabels the deformed image x(p + τ(p)) or, given a target per image, labels it as that target (targeted
/// ADef: the one candidate t, run until the label is t). Batched, with per-image early stop; docs/algorithms.md gives the
/// exact iteration (§3.3, targeted §3.8).
/// </summary>
/// <example>
/// <code>
/// var attack = new AdefAttack(classifier, AdefOptions.Mnist);
/// AdefResult[] results = attack.Run(images);
/// AdefResult[] targeted = attack.Run(images, targets: wanted); // success = image i labelled wanted[i]
/// </code>
/// </example>
public sealed class AdefAttack : ImageAttack<AdefOptions, AdefResult>
{
    /// <summary>Creates the attack; the options are checked against the classifier's class count.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="classifier"/> is null.</exception>
    /// <exception cref="ArgumentException">An option is out of range (the exception names it).</exception>
    public AdefAttack(IDifferentiableClassifier classifier, AdefOptions? options = null)
        : base(classifier, options ?? new AdefOptions())
    {
        Options.Validate(Classifier.ClassCount);
    }

    private protected override void RunEngine(ReadOnlyMemory<float> images, Action<AdefResult> onResult, IReadOnlyList<int>? trueLabels,
        IReadOnlyList<int>? targets, IProgress<AttackProgress>? progress, CancellationToken cancellationToken)
    {
        if (targets is not null && Options.RankTargeted)
            throw new ArgumentException(
                "Targets and AdefOptions.RankTargeted exclude each other: with targets, success is the target label itself.", nameof(targets));
        new Engine(Classifier, Options, targeted: targets is not null).Run(images, onResult, trueLabels, targets, progress, cancellationToken);
    }

    private sealed class State(int index, ReadOnlyMemory<float> original, int originalLabel, int? target)
        : AttackImageState(index, original, originalLabel, target)
    {
        public double TNorm { get; set; }
        public bool Overshot { get; set; }
    }

    /// <summary>
    /// ADef over <see cref="AttackOperations"/>: the field τ is each image's aux row (2 planes). A targeted run has the one
    /// candidate t per image in place of the ranked candidates; the step is the same with K = 1.
    /// </summary>
    private sealed class Engine(IDifferentiableClassifier classifier, AdefOptions options, bool targeted)
        : BatchedAttack<State, AdefResult>(classifier, options, new EngineSettings(
            MaxIterations: options.MaxIterations, TargetsPerImage: targeted ? 1 : options.CandidateRanks.Count, AuxPlanes: 2,
            StepsAtAdmission: true, TargetRanks: targeted ? null : options.CandidateRanks.ToArray()))
    {
        private readonly float[]? _kernel = options.Sigma > 0 ? GaussianSmoothing.Kernel(options.Sigma) : null;

        protected override State Begin(int index, ReadOnlyMemory<float> image, ReadOnlySpan<float> logits, int? target)
        {
            int[] ranked = Logits.RankDescending(logits);
            return new State(index, image, ranked[0], target)
            {
                Targets = target is { } t ? [t] : options.CandidateRanks.Select(rank => ranked[rank]).ToArray(),
            };
        }

        protected override bool IsFooled(State state, int label) =>
            options.RankTargeted ? Array.IndexOf(state.Targets, label) >= 0 : state.Reached(label);

        protected override void Step(StepBatch batch)
        {
            int m = batch.Count, k = Settings.TargetsPerImage;
            ClassifierEvaluation evaluation = batch.Evaluation;
            using RowsLease gradients = batch.Gradients(Ops);
            using RowsLease images = Rows.Select(Rows.Current, batch.Positions);
            var (dx, dy) = Ops.ImageGradient(images.Rows);
            IRows alpha, direction;
            IRows? smoothed = null;
            double[] denominators;
            using (dx)
            using (dy)
                alpha = Ops.ProjectOntoImageGradient(gradients.Rows, dx, dy);
            using (alpha)
            {
                if (_kernel is not null)
                {
                    smoothed = Ops.Smooth(alpha, _kernel);
                    direction = Ops.Smooth(smoothed, _kernel);
                    denominators = Ops.SquaredNorms(smoothed, k);
                    smoothed.Dispose();
                }
                else
                {
                    direction = alpha;
                    denominators = Ops.SquaredNorms(alpha, k);
                }

                // step_k = −f_k · S(s) / ‖s‖² (or −f_k · α / ‖α‖²), added to the total field; a candidate without a usable
                // denominator is skipped.
                var scales = new float[m * k];
                var usable = new bool[m * k];
                for (int j = 0; j < m; j++)
                {
                    int row = batch.EvaluationRows[j];
                    float current = evaluation.LabelLogits[row];
                    for (int t = 0; t < k; t++)
                    {
                        double f = evaluation.TargetLogits[row * k + t] - current;
                        double denominator = denominators[j * k + t];
                        if (!(denominator > 0) || double.IsInfinity(denominator)) continue;
                        usable[j * k + t] = true;
                        scales[j * k + t] = (float)(-f / denominator);
                    }
                }

                using RowsLease fields = Rows.Select(Rows.Aux, batch.Positions);
                using IRows candidates = Ops.AddScaled(fields.Rows, direction, scales);
                if (!ReferenceEquals(direction, alpha)) direction.Dispose();
                double[] norms = Ops.TNorms(candidates, k);

                var moving = new List<int>(m);
                var chosen = new List<int>(m);
                for (int j = 0; j < m; j++)
                {
                    State state = batch.States[j];
                    int best = -1;
                    double bestNorm = double.PositiveInfinity;
                    for (int t = 0; t < k; t++)
                        if (usable[j * k + t] && norms[j * k + t] < bestNorm) (best, bestNorm) = (t, norms[j * k + t]);
                    if (double.IsPositiveInfinity(bestNorm) || Math.Abs(bestNorm - state.TNorm) <= 1e-10)
                        state.Finish(AttackOutcome.Stalled, state.Iteration);
                    else if (bestNorm >= options.MaxNorm)
                        state.Finish(AttackOutcome.BudgetExceeded, state.Iteration);
                    else
                    {
                        state.TNorm = bestNorm;
                        state.Iteration++;
                        moving.Add(j);
                        chosen.Add(best);
                    }
                }
                if (moving.Count == 0) return;

                int[] positions = moving.Select(j => batch.Positions[j]).ToArray();
                using IRows newFields = Ops.SelectBlocks(candidates, k, moving.ToArray(), chosen.ToArray());
                MoveTo(positions, newFields, moving.Select(j => batch.States[j]).ToList());
            }
        }

        /// <summary>Sets the fields at <paramref name="positions"/> and warps the ORIGINAL images by them; flags non-finite results.</summary>
        private void MoveTo(int[] positions, IRows fields, List<State> states)
        {
            Ops.Scatter(Rows.Aux, positions, fields);
            using RowsLease originals = Rows.Select(Rows.Originals, positions);
            using IRows warped = Ops.Warp(originals.Rows, fields);
            Ops.Scatter(Rows.Current, positions, warped);
            bool[] finite = Ops.AllFinite(warped);
            for (int j = 0; j < states.Count; j++)
                if (!finite[j] && states[j].Outcome is null) states[j].Finish(AttackOutcome.NumericalFailure, states[j].Iteration);
        }

        /// <summary>
        /// The overshoot, applied once to the fields that failed and to the successes that lie on a tie (top-two gap ≤ 1e−6):
        /// τ ← τ · clamp(maxNorm / ‖τ‖_T, 1, overshoot), then the images are warped and labelled once more.
        /// </summary>
        protected override void Conclude(IReadOnlyList<State> finished, int[] positions)
        {
            var overshot = new List<State>();
            var at = new List<int>();
            for (int i = 0; i < finished.Count; i++)
            {
                if (!NeedsOvershoot(finished[i])) continue;
                overshot.Add(finished[i]);
                at.Add(positions[i]);
            }
            if (overshot.Count == 0) return;
            ScaleFields(overshot, at.ToArray(), overshot.Select(s => Math.Clamp(options.MaxNorm / s.TNorm, 1, options.OvershootFactor)).ToArray());
            foreach (State state in overshot) state.Overshot = true;
            Recheck(overshot, at.ToArray(), (state, label, topTwoGap) =>
            {
                state.Label = label;
                state.TopTwoGap = topTwoGap;
                if (IsFooled(state, label))
                    state.Finish(AttackOutcome.Fooled, state.ReportedIterations);
                else if (state.Outcome == AttackOutcome.Fooled)
                    state.Finish(AttackOutcome.Stalled, state.ReportedIterations); // a tie that the overshoot tipped back
            });
        }

        private bool NeedsOvershoot(State state)
        {
            if (options.OvershootFactor <= 1 || state.TNorm == 0
                || state.Outcome is AttackOutcome.AlreadyMisclassified or AttackOutcome.NumericalFailure) return false;
            bool tie = state.Outcome == AttackOutcome.Fooled && state.TopTwoGap <= 1e-6f;
            return state.Outcome != AttackOutcome.Fooled || tie;
        }

        /// <summary>
        /// A rounded success that stopped fooling: τ ← τ · min(RepairScale(attempt) / RepairScale(attempt − 1), budget), so τ is the
        /// attack's field times RepairScale(attempt) until the budget caps it, kept strictly within <see cref="AdefOptions.MaxNorm"/>
        /// as the overshoot is. A field already at the budget cannot grow.
        /// </summary>
        protected override bool[] Grow(IReadOnlyList<State> states, int[] positions, int attempt)
        {
            double factor = RepairScale(attempt) / RepairScale(attempt - 1);
            double[] factors = states.Select(s => Math.Min(factor, options.MaxNorm / s.TNorm)).ToArray();
            bool[] grows = factors.Select(f => f > 1 + 1e-6).ToArray();
            int[] growing = Enumerable.Range(0, states.Count).Where(i => grows[i]).ToArray();
            if (growing.Length > 0)
                ScaleFields(growing.Select(i => states[i]).ToList(), growing.Select(i => positions[i]).ToArray(), growing.Select(i => factors[i]).ToArray());
            return grows;
        }

        /// <summary>τ ← τ · factor, the factor shrunk by 1e−7 steps until ‖τ‖_T is strictly within the budget; warps the originals.</summary>
        private void ScaleFields(IReadOnlyList<State> states, int[] positions, double[] factors)
        {
            int n = states.Count;
            using IRows fields = Ops.Gather(Rows.Aux, positions);
            using IRows scaledFields = Ops.Zeros(n, 2);
            int[] pending = Enumerable.Range(0, n).ToArray();
            while (pending.Length > 0)
            {
                using IRows subset = Ops.Gather(fields, pending);
                using IRows scaled = Ops.Scale(subset, pending.Select(i => factors[i]).ToArray());
                double[] norms = Ops.TNorms(scaled, 1);
                Ops.Scatter(scaledFields, pending, scaled);
                var next = new List<int>();
                for (int j = 0; j < pending.Length; j++)
                {
                    int i = pending[j];
                    states[i].TNorm = norms[j];
                    factors[i] *= 1 - 1e-7;
                    if (norms[j] >= options.MaxNorm) next.Add(i);
                }
                pending = next.ToArray();
            }
            MoveTo(positions, scaledFields, new List<State>());
        }

        protected override AdefResult CreateResult(State state, ReadOnlySpan<float> current, ReadOnlySpan<float> field)
        {
            ReadOnlySpan<float> original = state.Original.Span;
            return new AdefResult
            {
                Index = state.Index,
                OriginalLabel = state.OriginalLabel,
                Target = state.Target,
                AdversarialLabel = state.Label,
                Outcome = state.Outcome!.Value,
                Iterations = state.ReportedIterations,
                FoolsAfterRounding = state.FoolsAfterRounding,
                AdversarialImage = current.ToArray(),
                PixelL2 = FieldNorms.DifferenceL2(current, original),
                PixelLInf = FieldNorms.DifferenceLInf(current, original),
                VectorField = field.ToArray(),
                TNorm = FieldNorms.TNorm(field, Shape.Height, Shape.Width),
                FieldL2 = FieldNorms.L2(field),
                Overshot = state.Overshot,
            };
        }
    }
}
