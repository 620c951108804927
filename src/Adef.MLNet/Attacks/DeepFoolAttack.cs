using Adef.MLNet.Classifiers;
using Adef.MLNet.Imaging;

namespace Adef.MLNet.Attacks;

/// <summary>
/// DeepFool (Moosavi-Dezfooli, Fawzi, Frossard, CVPR 2016): the smallest additive perturbation, in
/// ℓ2 or ℓ∞, found by linearising the classifier around the current image. Batched, with per-image
/// early stop; see <c>ALGORITHMS.md</c> for the exact iteration.
/// </summary>
public sealed class DeepFoolAttack
{
    private const double Epsilon = 1e-4;
    private readonly IDifferentiableClassifier _classifier;

    /// <summary>Creates the attack.</summary>
    public DeepFoolAttack(IDifferentiableClassifier classifier, DeepFoolOptions? options = null)
    {
        _classifier = classifier ?? throw new ArgumentNullException(nameof(classifier));
        Options = options ?? new DeepFoolOptions();
        Options.Validate();
    }

    /// <summary>The options in use.</summary>
    public DeepFoolOptions Options { get; }

    /// <summary>Attacks a batch of images.</summary>
    /// <param name="images">N·C·H·W values in the classifier's input space (not modified).</param>
    /// <param name="trueLabels">Optional N labels; images the classifier already gets wrong are not attacked.</param>
    /// <param name="progress">Receives a report after every iteration.</param>
    /// <param name="cancellationToken">Checked once per iteration.</param>
    /// <returns>One result per image, in input order.</returns>
    /// <exception cref="AdefInputException">A pixel is NaN or infinite (the message names the image).</exception>
    /// <exception cref="AttackCanceledException{TResult}">
    /// <paramref name="cancellationToken"/> was canceled; the exception (an <see cref="OperationCanceledException"/>)
    /// carries the results of the images finished so far. Typed <c>AttackCanceledException&lt;DeepFoolResult&gt;</c>.
    /// </exception>
    public DeepFoolResult[] Run(ReadOnlyMemory<float> images, IReadOnlyList<int>? trueLabels = null,
        IProgress<AttackProgress>? progress = null, CancellationToken cancellationToken = default) =>
        new Engine(_classifier, Options).Run(images, trueLabels, Options.BatchSize, progress, cancellationToken);

    /// <summary>
    /// Attacks a batch of images, handing each image's result to <paramref name="onResult"/> as soon as that image
    /// finishes, so long runs need not hold every result. The attack keeps no reference to a delivered result.
    /// </summary>
    /// <param name="images">N·C·H·W values in the classifier's input space (not modified).</param>
    /// <param name="onResult">Called once per image, in finishing order (<see cref="AttackResult.Index"/> names the image), on the calling thread.</param>
    /// <param name="trueLabels">Optional N labels; images the classifier already gets wrong are not attacked.</param>
    /// <param name="progress">Receives a report after every iteration.</param>
    /// <param name="cancellationToken">Checked once per iteration.</param>
    /// <exception cref="AdefInputException">A pixel is NaN or infinite (the message names the image).</exception>
    /// <exception cref="OperationCanceledException">
    /// <paramref name="cancellationToken"/> was canceled; the results of the images finished so far were already delivered.
    /// </exception>
    public void Run(ReadOnlyMemory<float> images, Action<DeepFoolResult> onResult, IReadOnlyList<int>? trueLabels = null,
        IProgress<AttackProgress>? progress = null, CancellationToken cancellationToken = default) =>
        new Engine(_classifier, Options).Run(images, onResult, trueLabels, Options.BatchSize, progress, cancellationToken);

    private sealed class State(int index, ReadOnlyMemory<float> original, int originalLabel, int imageSize)
        : AttackImageState(index, original, originalLabel)
    {
        public float[] Accumulated { get; } = new float[imageSize];
    }

    private sealed class Engine(IDifferentiableClassifier classifier, DeepFoolOptions options)
        : BatchedAttack<State, DeepFoolResult>(classifier)
    {
        private readonly int _candidates = Math.Min(options.Candidates, classifier.ClassCount);

        protected override int MaxIterations => options.MaxIterations;

        protected override int TargetsPerImage => _candidates - 1;

        protected override State Begin(int index, ReadOnlyMemory<float> image, ReadOnlySpan<float> logits)
        {
            int[] ranked = Logits.RankDescending(logits);
            return new State(index, image, ranked[0], Shape.Size) { Targets = ranked[1.._candidates] };
        }

        protected override bool IsFooled(State state, int label) => label != state.OriginalLabel;

        protected override void Step(State state, ReadOnlySpan<float> logits, ReadOnlySpan<float> gradients)
        {
            int size = Shape.Size;
            float reference = logits[state.OriginalLabel];
            int best = -1;
            double bestDistance = double.PositiveInfinity, bestMargin = 0, bestNorm = 0;
            for (int j = 0; j < state.Targets.Length; j++)
            {
                ReadOnlySpan<float> w = gradients.Slice(j * size, size);
                double norm = options.Norm == DeepFoolNorm.L2 ? FieldNorms.L2(w) : L1(w);
                if (!(norm > 0) || double.IsInfinity(norm)) continue;
                double margin = Math.Abs(logits[state.Targets[j]] - reference);
                double distance = margin / norm;
                if (distance < bestDistance)
                {
                    (best, bestDistance, bestMargin, bestNorm) = (j, distance, margin, norm);
                }
            }
            if (best < 0)
            {
                state.Finish(AttackOutcome.Stalled, state.Iteration);
                return;
            }

            ReadOnlySpan<float> gradient = gradients.Slice(best * size, size);
            float[] r = state.Accumulated;
            if (options.Norm == DeepFoolNorm.L2)
            {
                float scale = (float)((bestMargin + Epsilon) / (bestNorm * bestNorm));
                for (int p = 0; p < size; p++) r[p] += scale * gradient[p];
            }
            else
            {
                float scale = (float)((bestMargin + Epsilon) / bestNorm);
                for (int p = 0; p < size; p++) r[p] += scale * MathF.Sign(gradient[p]);
            }

            ReadOnlySpan<float> original = state.Original.Span;
            float factor = (float)(1 + options.Overshoot);
            float min = options.ClipMin ?? float.NegativeInfinity, max = options.ClipMax ?? float.PositiveInfinity;
            for (int p = 0; p < size; p++) state.Current[p] = Math.Clamp(original[p] + factor * r[p], min, max);
            state.Iteration++;
        }

        protected override DeepFoolResult CreateResult(State state)
        {
            ReadOnlySpan<float> original = state.Original.Span;
            var perturbation = new float[Shape.Size];
            for (int p = 0; p < perturbation.Length; p++) perturbation[p] = state.Current[p] - original[p];
            return new DeepFoolResult
            {
                Index = state.Index,
                OriginalLabel = state.OriginalLabel,
                AdversarialLabel = state.Label,
                Outcome = state.Outcome!.Value,
                Iterations = state.ReportedIterations,
                AdversarialImage = state.Current,
                Perturbation = perturbation,
                PixelL2 = FieldNorms.L2(perturbation),
                PixelLInf = FieldNorms.LInf(perturbation),
            };
        }

        private static double L1(ReadOnlySpan<float> values)
        {
            double sum = 0;
            foreach (float v in values) sum += Math.Abs(v);
            return sum;
        }
    }
}
