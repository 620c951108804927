using Adef.Experiments;
using Adef.MLNet.Attacks;
using Adef.MLNet.Classifiers;
using Adef.MLNet.Tests.TestSupport;

namespace Adef.MLNet.Tests.Attacks;

public class PgdAttackTests
{
    private const int Count = 40, ImageSize = 144;
    private static readonly float[] Images = QuadrantBlobs.Generate(Count, seed: 53).Pixels.Select(v => Math.Clamp(v, 0f, 1f)).ToArray();
    private static readonly PgdOptions Options = new() { Epsilon = 0.25, StepSize = 0.02, Steps = 20, BatchSize = 16, Seed = 9 };

    [Theory]
    [InlineData(0.25)]
    [InlineData(0.05)]
    public void ResultsStayInTheEpsilonBallAndTheValidRange(double epsilon)
    {
        PerturbationResult[] results = new PgdAttack(QuadrantBlobs.Classifier, Options with { Epsilon = epsilon }).Run(Images);

        foreach (PerturbationResult result in results)
        {
            ReadOnlySpan<float> original = Images.AsSpan(result.Index * ImageSize, ImageSize);
            for (int p = 0; p < ImageSize; p++)
            {
                float adversarial = result.AdversarialImage[p];
                Assert.True(Math.Abs(adversarial - original[p]) <= epsilon + 1e-6, $"image {result.Index}, pixel {p}: moved {adversarial - original[p]}");
                Assert.InRange(adversarial, 0f, 1f);
                Assert.Equal(adversarial - original[p], result.Perturbation[p]);
            }
            Assert.True(result.PixelLInf <= epsilon + 1e-6);
            Assert.True(result.PixelLInf > 0, $"image {result.Index} did not move");
        }
    }

    [Fact]
    public void SuccessFlagsAgreeWithRerunningTheModelOnTheReturnedImages()
    {
        PerturbationResult[] results = new PgdAttack(QuadrantBlobs.Classifier, Options).Run(Images);

        int fooled = results.Count(r => r.Success);
        Assert.True(fooled >= 30, $"only {fooled} of {Count} fooled at ε 0.25");
        PerturbationResult[] weak = new PgdAttack(QuadrantBlobs.Classifier, Options with { Epsilon = 0.02 }).Run(Images);
        Assert.True(weak.Count(r => r.Success) < fooled, "a ten times smaller ball fooled as many images");
        foreach (PerturbationResult result in results.Concat(weak))
        {
            int label = ModelChecks.LabelOf(QuadrantBlobs.Classifier, result.AdversarialImage);
            Assert.Equal(result.AdversarialLabel, label);
            Assert.Equal(result.Success, label != result.OriginalLabel);
            Assert.Equal(result.Success ? AttackOutcome.Fooled : AttackOutcome.MaxIterationsReached, result.Outcome);
            Assert.Equal(Options.Steps, result.Iterations);
            Assert.Equal(ModelChecks.LabelOf(QuadrantBlobs.Classifier, Images.AsSpan(result.Index * ImageSize, ImageSize).ToArray()), result.OriginalLabel);
        }
    }

    [Fact]
    public void ZeroStepsOrZeroEpsilonReturnTheImage()
    {
        foreach (PgdOptions options in new[] { Options with { Steps = 0 }, Options with { Epsilon = 0 } })
        {
            PerturbationResult[] results = new PgdAttack(QuadrantBlobs.Classifier, options).Run(Images);
            foreach (PerturbationResult result in results)
            {
                Assert.Equal(Images.AsSpan(result.Index * ImageSize, ImageSize).ToArray(), result.AdversarialImage);
                Assert.False(result.Success);
                Assert.Equal(result.OriginalLabel, result.AdversarialLabel);
                Assert.Equal(0, result.PixelLInf);
                Assert.Equal(options.Steps, result.Iterations);
            }
        }
    }

    [Fact]
    public void TheRandomStartIsDeterministicPerSeedAndIndependentOfTheBatchSize()
    {
        var startOnly = Options with { Steps = 1, StepSize = 0 };
        PerturbationResult[] a = new PgdAttack(QuadrantBlobs.Classifier, startOnly).Run(Images);
        PerturbationResult[] b = new PgdAttack(QuadrantBlobs.Classifier, startOnly with { BatchSize = 3 }).Run(Images);
        PerturbationResult[] other = new PgdAttack(QuadrantBlobs.Classifier, startOnly with { Seed = 10 }).Run(Images);
        PerturbationResult[] none = new PgdAttack(QuadrantBlobs.Classifier, startOnly with { RandomStart = false }).Run(Images);

        for (int i = 0; i < Count; i++)
        {
            Assert.Equal(a[i].AdversarialImage, b[i].AdversarialImage);
            Assert.NotEqual(a[i].AdversarialImage, other[i].AdversarialImage);
            Assert.True(a[i].PixelLInf > 0.2, $"image {i}: the random start moved it by at most {a[i].PixelLInf}");
            Assert.Equal(0, none[i].PixelLInf);
        }
        Assert.NotEqual(a[0].Perturbation, a[1].Perturbation); // each image draws its own noise
    }

    [Fact]
    public void FullRunsAreDeterministic()
    {
        PerturbationResult[] first = new PgdAttack(QuadrantBlobs.Classifier, Options).Run(Images);
        PerturbationResult[] second = new PgdAttack(QuadrantBlobs.Classifier, Options).Run(Images);
        for (int i = 0; i < Count; i++)
        {
            Assert.Equal(first[i].AdversarialImage, second[i].AdversarialImage);
            Assert.Equal(first[i].Outcome, second[i].Outcome);
        }
    }

    [Fact]
    public void MisclassifiedImagesAreNotAttackedAndStayClean()
    {
        int[] labels = Enumerable.Range(0, Count).Select(i => ModelChecks.LabelOf(QuadrantBlobs.Classifier, Images.AsSpan(i * ImageSize, ImageSize).ToArray())).ToArray();
        labels[4] = (labels[4] + 1) % 4;
        PerturbationResult[] results = new PgdAttack(QuadrantBlobs.Classifier, Options).Run(Images, labels);

        Assert.Equal(AttackOutcome.AlreadyMisclassified, results[4].Outcome);
        Assert.False(results[4].Success);
        Assert.Equal(0, results[4].Iterations);
        Assert.Equal(Images.AsSpan(4 * ImageSize, ImageSize).ToArray(), results[4].AdversarialImage);
        Assert.All(results.Where(r => r.Index != 4), r => Assert.NotEqual(AttackOutcome.AlreadyMisclassified, r.Outcome));
    }

    [Fact]
    public void StreamingDeliversTheSameResultsAsTheArrayForm()
    {
        var attack = new PgdAttack(QuadrantBlobs.Classifier, Options);
        PerturbationResult[] expected = attack.Run(Images);
        var streamed = new List<PerturbationResult>();
        attack.Run(Images, streamed.Add);

        Assert.Equal(Enumerable.Range(0, Count), streamed.Select(r => r.Index).Order());
        foreach (PerturbationResult result in streamed)
        {
            Assert.Equal(expected[result.Index].AdversarialImage, result.AdversarialImage);
            Assert.Equal(expected[result.Index].Outcome, result.Outcome);
        }
    }

    [Fact]
    public void NaNGradientsForOneImageFailItNumericallyAndTheOthersContinue()
    {
        float[] images = (float[])Images.Clone();
        for (int p = 0; p < ImageSize; p++) images[6 * ImageSize + p] += 1000;
        var classifier = new NaNGradientsAboveMean500(QuadrantBlobs.Classifier);
        PerturbationResult[] results = new PgdAttack(classifier, Options with { ClipMin = float.NegativeInfinity, ClipMax = float.PositiveInfinity, BatchSize = 5 }).Run(images);

        Assert.Equal(AttackOutcome.NumericalFailure, results[6].Outcome);
        Assert.Equal(0, results[6].Iterations);
        Assert.False(results[6].Success);
        Assert.All(results.Where(r => r.Index != 6), r => Assert.NotEqual(AttackOutcome.NumericalFailure, r.Outcome));
        Assert.True(results.Count(r => r.Success) >= 30);
    }

    [Fact]
    public void NonFinitePixelIsRefusedNamingTheImage()
    {
        float[] images = (float[])Images.Clone();
        images[3 * ImageSize + 10] = float.PositiveInfinity;
        var error = Assert.Throws<InvalidImageException>(() => new PgdAttack(QuadrantBlobs.Classifier, Options).Run(images));
        Assert.Equal(3, error.ImageIndex);
    }

    [Fact]
    public void CancellationCarriesTheFinishedResults()
    {
        using var cancellation = new CancellationTokenSource();
        var progress = new SynchronousProgress(p => { if (p.Completed > 0) cancellation.Cancel(); });
        var canceled = Assert.Throws<AttackCanceledException<PerturbationResult>>(() =>
            new PgdAttack(QuadrantBlobs.Classifier, Options with { BatchSize = 8 }).Run(Images, progress: progress, cancellationToken: cancellation.Token));

        Assert.Equal(8, canceled.Completed.Count); // the first batch of 8 finishes together after its 20 steps
        Assert.Equal(Enumerable.Range(0, 8), canceled.Completed.Select(r => r.Index));
    }

    [Fact]
    public void BadOptionsAreRejectedWithTheirName()
    {
        var classifier = QuadrantBlobs.Classifier;
        foreach ((PgdOptions options, string name) in new[]
        {
            (new PgdOptions { Epsilon = -0.1 }, nameof(PgdOptions.Epsilon)),
            (new PgdOptions { Epsilon = double.NaN }, nameof(PgdOptions.Epsilon)),
            (new PgdOptions { Epsilon = double.PositiveInfinity }, nameof(PgdOptions.Epsilon)),
            (new PgdOptions { StepSize = -1 }, nameof(PgdOptions.StepSize)),
            (new PgdOptions { StepSize = double.NaN }, nameof(PgdOptions.StepSize)),
            (new PgdOptions { Steps = -1 }, nameof(PgdOptions.Steps)),
            (new PgdOptions { ClipMin = float.NaN }, nameof(PgdOptions.ClipMin)),
            (new PgdOptions { ClipMax = float.NegativeInfinity }, nameof(PgdOptions.ClipMax)),
            (new PgdOptions { ClipMin = float.PositiveInfinity }, nameof(PgdOptions.ClipMin)),
            (new PgdOptions { BatchSize = 0 }, nameof(PgdOptions.BatchSize)),
        })
        {
            var error = Assert.ThrowsAny<ArgumentException>(() => new PgdAttack(classifier, options));
            Assert.Equal(name, error.ParamName);
        }
        Assert.Throws<ArgumentException>(() => new PgdAttack(classifier, new PgdOptions { ClipMin = 1, ClipMax = 1 }));
        Assert.Throws<ArgumentNullException>(() => new PgdAttack(null!));
    }

    private sealed class SynchronousProgress(Action<AttackProgress> report) : IProgress<AttackProgress>
    {
        public void Report(AttackProgress value) => report(value);
    }

    /// <summary>Returns NaN loss gradients for images whose mean exceeds 500.</summary>
    private sealed class NaNGradientsAboveMean500(IDifferentiableClassifier inner) : IDifferentiableClassifier
    {
        public ImageShape InputShape => inner.InputShape;
        public int ClassCount => inner.ClassCount;
        public void ComputeLogits(ReadOnlySpan<float> images, int count, Span<float> logits) => inner.ComputeLogits(images, count, logits);
        public void ComputeLogitsAndMarginGradients(ReadOnlySpan<float> images, int count, ReadOnlySpan<int> targetLabels, int targetsPerImage,
            Span<float> logits, Span<float> gradients) => throw new InvalidOperationException("PGD must use the loss gradients.");

        public void ComputeLogitsAndLossGradients(ReadOnlySpan<float> images, int count, ReadOnlySpan<int> labels, Span<float> logits, Span<float> gradients)
        {
            inner.ComputeLogitsAndLossGradients(images, count, labels, logits, gradients);
            for (int i = 0; i < count; i++)
            {
                float sum = 0;
                foreach (float v in images.Slice(i * ImageSize, ImageSize)) sum += v;
                if (sum / ImageSize > 500) gradients.Slice(i * ImageSize, ImageSize).Fill(float.NaN);
            }
        }
    }
}
