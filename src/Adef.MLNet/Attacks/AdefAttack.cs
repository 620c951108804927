using Adef.MLNet.Classifiers;
using Adef.MLNet.Imaging;

namespace Adef.MLNet.Attacks;

/// <summary>
/// ADef (Alaifari, Alberti, Gauksson, ICLR 2019): finds a small vector field τ such that the
/// classifier mislabels the deformed image x(p + τ(p)). Batched, with per-image early stop;
/// see <c>ALGORITHMS.md</c> for the exact iteration.
/// </summary>
/// <example>
/// <code>
/// var attack = new AdefAttack(classifier, AdefOptions.Mnist);
/// AdefResult[] results = attack.Run(images);
/// </code>
/// </example>
public sealed class AdefAttack
{
    private readonly IDifferentiableClassifier _classifier;

    /// <summary>Creates the attack; the options are checked against the classifier's class count.</summary>
    public AdefAttack(IDifferentiableClassifier classifier, AdefOptions? options = null)
    {
        _classifier = classifier ?? throw new ArgumentNullException(nameof(classifier));
        Options = options ?? new AdefOptions();
        Options.Validate(classifier.ClassCount);
    }

    /// <summary>The options in use.</summary>
    public AdefOptions Options { get; }

    /// <summary>Attacks a batch of images.</summary>
    /// <param name="images">N·C·H·W values in the classifier's input space (not modified).</param>
    /// <param name="trueLabels">Optional N labels; images the classifier already gets wrong are not attacked.</param>
    /// <param name="progress">Receives a report after every iteration.</param>
    /// <param name="cancellationToken">Checked once per iteration.</param>
    /// <returns>One result per image, in input order.</returns>
    /// <exception cref="AdefInputException">A pixel is NaN or infinite (the message names the image).</exception>
    /// <exception cref="AttackCanceledException{TResult}">
    /// <paramref name="cancellationToken"/> was canceled; the exception (an <see cref="OperationCanceledException"/>)
    /// carries the results of the images finished so far. Typed <c>AttackCanceledException&lt;AdefResult&gt;</c>.
    /// </exception>
    public AdefResult[] Run(ReadOnlyMemory<float> images, IReadOnlyList<int>? trueLabels = null,
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
    public void Run(ReadOnlyMemory<float> images, Action<AdefResult> onResult, IReadOnlyList<int>? trueLabels = null,
        IProgress<AttackProgress>? progress = null, CancellationToken cancellationToken = default) =>
        new Engine(_classifier, Options).Run(images, onResult, trueLabels, Options.BatchSize, progress, cancellationToken);

    private sealed class State(int index, ReadOnlyMemory<float> original, int originalLabel, int fieldSize)
        : AttackImageState(index, original, originalLabel)
    {
        public float[] Field { get; set; } = new float[fieldSize];
        public double TNorm { get; set; }
        public bool Overshot { get; set; }
    }

    private sealed class Engine(IDifferentiableClassifier classifier, AdefOptions options)
        : BatchedAttack<State, AdefResult>(classifier)
    {
        private readonly float[]? _kernel = options.Sigma > 0 ? GaussianSmoothing.Kernel(options.Sigma) : null;

        protected override int MaxIterations => options.MaxIterations;

        protected override int TargetsPerImage => options.Candidates.Count;

        protected override State Begin(int index, ReadOnlyMemory<float> image, ReadOnlySpan<float> logits)
        {
            int[] ranked = Logits.RankDescending(logits);
            return new State(index, image, ranked[0], Shape.FieldSize)
            {
                Targets = options.Candidates.Select(rank => ranked[rank]).ToArray(),
            };
        }

        protected override bool IsFooled(State state, int label) =>
            options.Targeted ? Array.IndexOf(state.Targets, label) >= 0 : label != state.OriginalLabel;

        protected override void Step(State state, ReadOnlySpan<float> logits, ReadOnlySpan<float> gradients)
        {
            int h = Shape.Height, w = Shape.Width, plane = h * w, imageSize = Shape.Size, fieldSize = Shape.FieldSize;
            var work = Workspace.For(Shape);
            ImageGradient.Compute(state.Current, work.Dx, work.Dy, Shape.Channels, h, w);

            double bestNorm = double.PositiveInfinity;
            float current = logits[state.Label];
            for (int j = 0; j < state.Targets.Length; j++)
            {
                double f = logits[state.Targets[j]] - current;
                ReadOnlySpan<float> g = gradients.Slice(j * imageSize, imageSize);
                ProjectOntoImageGradient(g, work.Dx, work.Dy, work.Alpha, plane);
                Span<float> direction = work.Alpha;
                if (_kernel is not null)
                {
                    GaussianSmoothing.Apply(work.Alpha, work.Smoothed, 2, h, w, _kernel, work.Scratch);
                    GaussianSmoothing.Apply(work.Smoothed, work.Direction, 2, h, w, _kernel, work.Scratch);
                    direction = work.Direction;
                }
                double denominator = SquaredNorm(_kernel is not null ? work.Smoothed : work.Alpha);
                if (!(denominator > 0) || double.IsInfinity(denominator)) continue;
                float scale = (float)(-f / denominator);
                for (int p = 0; p < fieldSize; p++) work.Candidate[p] = state.Field[p] + scale * direction[p];
                double norm = FieldNorms.TNorm(work.Candidate, h, w);
                if (norm < bestNorm)
                {
                    bestNorm = norm;
                    work.Candidate.AsSpan().CopyTo(work.Best);
                }
            }

            if (double.IsPositiveInfinity(bestNorm) || Math.Abs(bestNorm - state.TNorm) <= 1e-10)
            {
                state.Finish(AttackOutcome.Stalled, state.Iteration);
                return;
            }
            if (bestNorm >= options.MaxNorm)
            {
                state.Finish(AttackOutcome.BudgetExceeded, state.Iteration);
                return;
            }
            work.Best.AsSpan().CopyTo(state.Field);
            state.TNorm = bestNorm;
            BilinearWarp.Apply(state.Original.Span, state.Field, state.Current, Shape.Channels, h, w);
            state.Iteration++;
        }

        protected override bool PrepareFinalCheck(State state)
        {
            if (options.Overshoot <= 1 || state.Outcome == AttackOutcome.AlreadyMisclassified || state.TNorm == 0) return false;
            bool tie = state.Outcome == AttackOutcome.Fooled && state.TopTwoGap <= 1e-6f;
            if (state.Outcome == AttackOutcome.Fooled && !tie) return false;

            double factor = Math.Clamp(options.MaxNorm / state.TNorm, 1, options.Overshoot);
            float[] scaled = new float[state.Field.Length];
            double norm;
            do
            {
                for (int p = 0; p < scaled.Length; p++) scaled[p] = (float)(state.Field[p] * factor);
                norm = FieldNorms.TNorm(scaled, Shape.Height, Shape.Width);
                factor *= 1 - 1e-7;
            }
            while (norm >= options.MaxNorm);
            state.Field = scaled;
            state.TNorm = norm;
            BilinearWarp.Apply(state.Original.Span, state.Field, state.Current, Shape.Channels, Shape.Height, Shape.Width);
            state.Overshot = true;
            return true;
        }

        protected override void CompleteFinalCheck(State state, int label, float topTwoGap)
        {
            state.Label = label;
            state.TopTwoGap = topTwoGap;
            if (IsFooled(state, label))
                state.Finish(AttackOutcome.Fooled, state.ReportedIterations);
            else if (state.Outcome == AttackOutcome.Fooled)
                state.Finish(AttackOutcome.Stalled, state.ReportedIterations); // a tie that the overshoot tipped back

        }

        protected override AdefResult CreateResult(State state)
        {
            ReadOnlySpan<float> original = state.Original.Span;
            return new AdefResult
            {
                Index = state.Index,
                OriginalLabel = state.OriginalLabel,
                AdversarialLabel = state.Label,
                Outcome = state.Outcome!.Value,
                Iterations = state.ReportedIterations,
                AdversarialImage = state.Current,
                PixelL2 = FieldNorms.DifferenceL2(state.Current, original),
                PixelLInf = FieldNorms.DifferenceLInf(state.Current, original),
                VectorField = state.Field,
                TNorm = FieldNorms.TNorm(state.Field, Shape.Height, Shape.Width),
                FieldL2 = FieldNorms.L2(state.Field),
                Overshot = state.Overshot,
            };
        }

        /// <summary>α = (Σ_ch g·∂x/∂x, Σ_ch g·∂x/∂y): the first-order change of the logit margin per unit displacement.</summary>
        private void ProjectOntoImageGradient(ReadOnlySpan<float> g, ReadOnlySpan<float> dx, ReadOnlySpan<float> dy, Span<float> alpha, int plane)
        {
            alpha.Clear();
            Span<float> ax = alpha[..plane], ay = alpha.Slice(plane, plane);
            for (int c = 0; c < Shape.Channels; c++)
            {
                ReadOnlySpan<float> gc = g.Slice(c * plane, plane), dxc = dx.Slice(c * plane, plane), dyc = dy.Slice(c * plane, plane);
                for (int p = 0; p < plane; p++)
                {
                    ax[p] += gc[p] * dxc[p];
                    ay[p] += gc[p] * dyc[p];
                }
            }
        }

        private static double SquaredNorm(ReadOnlySpan<float> values)
        {
            double sum = 0;
            foreach (float v in values) sum += (double)v * v;
            return sum;
        }
    }

    /// <summary>Per-thread scratch buffers of one ADef step.</summary>
    private sealed class Workspace
    {
        [ThreadStatic] private static Workspace? t_current;

        private Workspace(ImageShape shape)
        {
            Shape = shape;
            Dx = new float[shape.Size];
            Dy = new float[shape.Size];
            Alpha = new float[shape.FieldSize];
            Smoothed = new float[shape.FieldSize];
            Direction = new float[shape.FieldSize];
            Candidate = new float[shape.FieldSize];
            Best = new float[shape.FieldSize];
            Scratch = new float[GaussianSmoothing.ScratchLength(shape.Height, shape.Width)];
        }

        public ImageShape Shape { get; }
        public float[] Dx { get; }
        public float[] Dy { get; }
        public float[] Alpha { get; }
        public float[] Smoothed { get; }
        public float[] Direction { get; }
        public float[] Candidate { get; }
        public float[] Best { get; }
        public float[] Scratch { get; }

        public static Workspace For(ImageShape shape)
        {
            if (t_current is null || t_current.Shape != shape) t_current = new Workspace(shape);
            return t_current;
        }
    }
}
