using Adef.MLNet.Attacks.Operations;
using Adef.MLNet.Classifiers;
using Adef.MLNet.Imaging;

namespace Adef.MLNet.Attacks;

/// <summary>
/// DeepFool (Moosavi-Dezfooli, Fawzi, Frossard, CVPR 2016): the smallest additive perturbation, in
/// ℓ2 or ℓ∞, found by linearising the classifier around the current image; given a target per image, the smallest one that
/// reaches it (the boundary towards the target, from whatever label the image has on the way). Batched, with per-image
/// early stop; docs/algorithms.md gives the exact iteration.
/// </summary>
public sealed class DeepFoolAttack : ImageAttack<DeepFoolOptions, PerturbationResult>
{
    private const double Epsilon = 1e-4;

    /// <summary>Creates the attack.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="classifier"/> is null.</exception>
    /// <exception cref="ArgumentException">An option is out of range (the exception names it).</exception>
    public DeepFoolAttack(IDifferentiableClassifier classifier, DeepFoolOptions? options = null)
        : base(classifier, options ?? new DeepFoolOptions())
    {
        Options.Validate();
        Options.Bounds(Classifier); // an explicit bound outside the classifier's valid values fails here, not at the first step
    }

    private protected override void RunEngine(ReadOnlyMemory<float> images, Action<PerturbationResult> onResult, IReadOnlyList<int>? trueLabels,
        IReadOnlyList<int>? targets, IProgress<AttackProgress>? progress, CancellationToken cancellationToken) =>
        new Engine(Classifier, Options, targeted: targets is not null).Run(images, onResult, trueLabels, targets, progress, cancellationToken);

    /// <summary>
    /// DeepFool over <see cref="AttackOperations"/>: the accumulated perturbation r is each image's aux row (C planes). Its
    /// candidates are the k top labels of the clean logits (k = min(CandidateCount, L)), so each image has the k − 1 labels
    /// after its own as targets, measured against its original label's logit; in a targeted run the one target t, measured
    /// against the current label's logit, since the image may pass other labels on its way to t.
    /// </summary>
    private sealed class Engine(IDifferentiableClassifier classifier, DeepFoolOptions options, bool targeted)
        : BatchedAttack<AttackImageState, PerturbationResult>(classifier, options, SettingsFor(classifier, options, targeted))
    {
        private readonly ValueBounds _bounds = options.Bounds(classifier);

        private int Candidates => Settings.TargetsPerImage + 1;

        private static EngineSettings SettingsFor(IDifferentiableClassifier classifier, DeepFoolOptions options, bool targeted)
        {
            int targets = targeted ? 1 : Math.Min(options.CandidateCount, classifier.ClassCount) - 1;
            return new EngineSettings(MaxIterations: options.MaxIterations, TargetsPerImage: targets,
                AuxPlanes: classifier.InputShape.Channels, StepsAtAdmission: true,
                TargetRanks: targeted ? null : Enumerable.Range(1, targets).ToArray(), OriginalLabelLogits: !targeted);
        }

        protected override AttackImageState Begin(int index, ReadOnlyMemory<float> image, ReadOnlySpan<float> logits, int? target)
        {
            int[] ranked = Logits.RankDescending(logits);
            return new AttackImageState(index, image, ranked[0], target) { Targets = target is { } t ? [t] : ranked[1..Candidates] };
        }

        protected override bool IsFooled(AttackImageState state, int label) => state.Reached(label);

        protected override void Step(StepBatch batch)
        {
            int m = batch.Count, k = Settings.TargetsPerImage;
            ClassifierEvaluation evaluation = batch.Evaluation;
            using RowsLease gradients = batch.Gradients(Ops);
            bool l2 = options.Norm == DeepFoolNorm.L2;
            double[] norms = l2 ? Ops.SquaredNorms(gradients.Rows, k) : Ops.L1Norms(gradients.Rows, k);
            if (l2) for (int i = 0; i < norms.Length; i++) norms[i] = Math.Sqrt(norms[i]);

            var moving = new List<int>(m);
            var chosen = new List<int>(m);
            var scales = new List<float>(m);
            for (int j = 0; j < m; j++)
            {
                AttackImageState state = batch.States[j];
                int row = batch.EvaluationRows[j];
                // f = F_k − F_l untargeted (§4.2); F_t − F_c with a target (§4.3), since c may be a third label on the way to t.
                float reference = Settings.OriginalLabelLogits ? evaluation.ReferenceLogits[row] : evaluation.LabelLogits[row];
                int best = -1;
                double bestDistance = double.PositiveInfinity, bestMargin = 0, bestNorm = 0;
                for (int t = 0; t < k; t++)
                {
                    double norm = norms[j * k + t];
                    if (!(norm > 0) || double.IsInfinity(norm)) continue;
                    double margin = Math.Abs(evaluation.TargetLogits[row * k + t] - reference);
                    double distance = margin / norm;
                    if (distance < bestDistance) (best, bestDistance, bestMargin, bestNorm) = (t, distance, margin, norm);
                }
                if (best < 0)
                {
                    state.Finish(AttackOutcome.Stalled, state.Iteration);
                    continue;
                }
                // ℓ2: r_i = (|f| + 1e−4)/‖w‖₂² · w;  ℓ∞: r_i = (|f| + 1e−4)/‖w‖₁ · sign(w).
                scales.Add(l2 ? (float)((bestMargin + Epsilon) / (bestNorm * bestNorm)) : (float)((bestMargin + Epsilon) / bestNorm));
                moving.Add(j);
                chosen.Add(best);
                state.Iteration++;
            }
            if (moving.Count == 0) return;

            int[] positions = moving.Select(j => batch.Positions[j]).ToArray();
            using IRows steps = Ops.SelectBlocks(gradients.Rows, k, moving.ToArray(), chosen.ToArray());
            using IRows accumulated = Ops.Gather(Rows.Aux, positions);
            Ops.AddScaledInPlace(accumulated, steps, scales.ToArray(), signOnly: !l2);
            Ops.Scatter(Rows.Aux, positions, accumulated);

            using IRows originals = Ops.Gather(Rows.Originals, positions);
            using IRows next = Ops.AddScaledClamped(originals, accumulated, (float)(1 + options.OvershootFraction), _bounds);
            Ops.Scatter(Rows.Current, positions, next);
            bool[] finite = Ops.AllFinite(next);
            for (int j = 0; j < moving.Count; j++)
            {
                AttackImageState state = batch.States[moving[j]];
                if (!finite[j]) state.Finish(AttackOutcome.NumericalFailure, state.Iteration);
            }
        }

        /// <summary>
        /// A rounded success that stopped fooling: the applied perturbation grows to <c>(1 + OvershootFraction)·s·r</c>, clipped
        /// as every iterate is, with s = <see cref="BatchedAttack{TState, TResult}.RepairScale"/>(attempt) and r the attack's
        /// accumulated perturbation (kept as it is).
        /// </summary>
        protected override bool[] Grow(IReadOnlyList<AttackImageState> states, int[] positions, int attempt)
        {
            using IRows accumulated = Ops.Gather(Rows.Aux, positions);
            using IRows originals = Ops.Gather(Rows.Originals, positions);
            using IRows grown = Ops.AddScaledClamped(originals, accumulated, (float)((1 + options.OvershootFraction) * RepairScale(attempt)), _bounds);
            Ops.Scatter(Rows.Current, positions, grown);
            return Enumerable.Repeat(true, states.Count).ToArray();
        }

        protected override PerturbationResult CreateResult(AttackImageState state, ReadOnlySpan<float> current, ReadOnlySpan<float> accumulated) =>
            PerturbationResult.Create(state, current);
    }
}
