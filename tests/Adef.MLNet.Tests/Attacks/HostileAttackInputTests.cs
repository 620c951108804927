using Adef.MLNet.Attacks;
using Adef.MLNet.Classifiers;
using Adef.MLNet.Tests.TestSupport;

namespace Adef.MLNet.Tests.Attacks;

/// <summary>NaN/Inf pixels, logits and gradients, cancellation with partial results, and option validation.</summary>
public class HostileAttackInputTests
{
    private const int Count = 24, ImageSize = 144;
    private static readonly float[] Images = QuadrantBlobs.Generate(Count, seed: 91).Pixels;

    [Theory]
    [InlineData(float.NaN)]
    [InlineData(float.PositiveInfinity)]
    [InlineData(float.NegativeInfinity)]
    public void NonFinitePixelIsRefusedNamingTheImage(float bad)
    {
        float[] images = (float[])Images.Clone();
        images[5 * ImageSize + 17] = bad;

        var adef = Assert.Throws<InvalidImageException>(() => new AdefAttack(QuadrantBlobs.Classifier).Run(images));
        var deepFool = Assert.Throws<InvalidImageException>(() => new DeepFoolAttack(QuadrantBlobs.Classifier).Run(images));

        foreach (var error in new[] { adef, deepFool })
        {
            Assert.Equal(5, error.ImageIndex);
            Assert.Contains("Image 5", error.Message);
            Assert.IsAssignableFrom<InvalidInputException>(error);
        }
    }

    [Fact]
    public void NaNLogitsForOneImageFailItNumericallyAndTheOthersContinue()
    {
        var classifier = new PoisoningClassifier(QuadrantBlobs.Classifier, poisonLogits: true);
        float[] images = Poison(Images, 3);

        var adefOptions = new AdefOptions { BatchSize = 5 };
        var deepFoolOptions = new DeepFoolOptions { BatchSize = 5 };
        AdefResult[] adef = new AdefAttack(classifier, adefOptions).Run(images);
        PerturbationResult[] deepFool = new DeepFoolAttack(classifier, deepFoolOptions).Run(images);
        AdefResult[] adefClean = new AdefAttack(QuadrantBlobs.Classifier, adefOptions).Run(Images);
        PerturbationResult[] deepFoolClean = new DeepFoolAttack(QuadrantBlobs.Classifier, deepFoolOptions).Run(Images);

        foreach ((AttackResult[] results, AttackResult[] clean) in new[] { ((AttackResult[])adef, (AttackResult[])adefClean), (deepFool, deepFoolClean) })
        {
            Assert.Equal(AttackOutcome.NumericalFailure, results[3].Outcome);
            Assert.False(results[3].Success);
            Assert.All(results.Where(r => r.Index != 3), r => Assert.NotEqual(AttackOutcome.NumericalFailure, r.Outcome));
            int fooled = results.Count(r => r.Index != 3 && r.Success), cleanFooled = clean.Count(r => r.Index != 3 && r.Success);
            Assert.True(fooled >= cleanFooled - 1, $"{fooled} of the other images fooled, {cleanFooled} without the poisoned one");
        }
    }

    [Fact]
    public void NaNGradientsForOneImageFailItNumericallyAndTheOthersContinue()
    {
        var classifier = new PoisoningClassifier(QuadrantBlobs.Classifier, poisonLogits: false);
        float[] images = Poison(Images, 7);

        AdefResult[] adef = new AdefAttack(classifier, new AdefOptions { BatchSize = 4, OvershootFactor = 1.2 }).Run(images);
        PerturbationResult[] deepFool = new DeepFoolAttack(classifier, new DeepFoolOptions { BatchSize = 4 }).Run(images);

        foreach (AttackResult[] results in new AttackResult[][] { adef, deepFool })
        {
            Assert.Equal(AttackOutcome.NumericalFailure, results[7].Outcome);
            Assert.Equal(0, results[7].Iterations);
            Assert.False(results[7].Success);
            Assert.Equal(images.AsSpan(7 * ImageSize, ImageSize).ToArray(), results[7].AdversarialImage);
            Assert.All(results.Where(r => r.Index != 7), r => Assert.NotEqual(AttackOutcome.NumericalFailure, r.Outcome));
        }
        Assert.True(deepFool.Count(r => r.Success) >= Count - 4);
    }

    [Fact]
    public void CancellationThrowsAnOperationCanceledExceptionCarryingTheFinishedResults()
    {
        using var cancellation = new CancellationTokenSource();
        var classifier = new PoisoningClassifier(QuadrantBlobs.Classifier, poisonLogits: false) { CancelAfterGradientCalls = (4, cancellation) };
        var attack = new DeepFoolAttack(classifier, new DeepFoolOptions { BatchSize = 4 });

        OperationCanceledException thrown = Assert.ThrowsAny<OperationCanceledException>(() => attack.Run(Images, cancellationToken: cancellation.Token));

        var canceled = Assert.IsType<AttackCanceledException<PerturbationResult>>(thrown);
        Assert.Equal(cancellation.Token, canceled.CancellationToken);
        Assert.Equal(Count, canceled.ImageCount);
        Assert.Equal(4, classifier.GradientCalls); // honoured before the next iteration's classifier call
        Assert.InRange(canceled.Completed.Count, 1, Count - 1);
        Assert.Equal(canceled.Completed.Select(r => r.Index).Order(), canceled.Completed.Select(r => r.Index));
        foreach (PerturbationResult result in canceled.Completed)
            Assert.Equal(result.AdversarialLabel, ModelChecks.LabelOf(QuadrantBlobs.Classifier, result.AdversarialImage));
    }

    [Fact]
    public void CancellationBeforeTheFirstIterationCarriesNoResults()
    {
        using var cancellation = new CancellationTokenSource();
        cancellation.Cancel();
        var canceled = Assert.Throws<AttackCanceledException<AdefResult>>(() =>
            new AdefAttack(QuadrantBlobs.Classifier).Run(Images, cancellationToken: cancellation.Token));
        Assert.Empty(canceled.Completed);
    }

    [Fact]
    public void HugeBatchSizeIsCappedAtTheImageCount()
    {
        PerturbationResult[] results = new DeepFoolAttack(QuadrantBlobs.Classifier, new DeepFoolOptions { BatchSize = int.MaxValue }).Run(Images);
        Assert.Equal(Count, results.Length);
    }

    [Fact]
    public void OptionValidationRefusesHostileValues()
    {
        var classifier = QuadrantBlobs.Classifier;
        Assert.Throws<ArgumentOutOfRangeException>(() => new AdefAttack(classifier, new AdefOptions { Sigma = -1 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new AdefAttack(classifier, new AdefOptions { Sigma = double.NaN }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new AdefAttack(classifier, new AdefOptions { Sigma = 1e9 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new AdefAttack(classifier, new AdefOptions { OvershootFactor = 0.5 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new AdefAttack(classifier, new AdefOptions { MaxNorm = double.NaN }));
        Assert.Throws<ArgumentException>(() => new AdefAttack(classifier, new AdefOptions { CandidateRanks = Array.Empty<int>() }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new AdefAttack(classifier, new AdefOptions { CandidateRanks = new[] { classifier.ClassCount } }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new DeepFoolAttack(classifier, new DeepFoolOptions { ClipMin = float.NaN }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new DeepFoolAttack(classifier, new DeepFoolOptions { ClipMax = float.NaN }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new DeepFoolAttack(classifier, new DeepFoolOptions { OvershootFraction = double.PositiveInfinity }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new DeepFoolAttack(classifier, new DeepFoolOptions { CandidateCount = 1 }));
    }

    /// <summary>Shifts image <paramref name="index"/> by +1000 so the wrapper recognises it at every iteration (warps and small steps keep it above 500).</summary>
    private static float[] Poison(float[] images, int index)
    {
        float[] poisoned = (float[])images.Clone();
        for (int p = 0; p < ImageSize; p++) poisoned[index * ImageSize + p] += 1000;
        return poisoned;
    }

    /// <summary>Returns NaN logits (or NaN gradients only) for images whose mean exceeds 500; counts gradient calls.</summary>
    private sealed class PoisoningClassifier(IDifferentiableClassifier inner, bool poisonLogits) : IDifferentiableClassifier
    {
        public ImageShape InputShape => inner.InputShape;
        public int ClassCount => inner.ClassCount;
        public int GradientCalls { get; private set; }
        public (int Calls, CancellationTokenSource Source)? CancelAfterGradientCalls { get; init; }

        public void ComputeLogits(ReadOnlySpan<float> images, int count, Span<float> logits)
        {
            inner.ComputeLogits(images, count, logits);
            if (!poisonLogits) return;
            for (int i = 0; i < count; i++)
                if (IsPoisoned(images, i)) logits.Slice(i * ClassCount, ClassCount).Fill(float.NaN);
        }

        public void ComputeLogitsAndMarginGradients(ReadOnlySpan<float> images, int count, ReadOnlySpan<int> targetLabels,
            int targetsPerImage, Span<float> logits, Span<float> gradients)
        {
            inner.ComputeLogitsAndMarginGradients(images, count, targetLabels, targetsPerImage, logits, gradients);
            int block = targetsPerImage * ImageSize;
            for (int i = 0; i < count; i++)
            {
                if (!IsPoisoned(images, i)) continue;
                if (poisonLogits) logits.Slice(i * ClassCount, ClassCount).Fill(float.NaN);
                gradients.Slice(i * block, block).Fill(float.NaN);
            }
            if (++GradientCalls == CancelAfterGradientCalls?.Calls) CancelAfterGradientCalls.Value.Source.Cancel();
        }

        private static bool IsPoisoned(ReadOnlySpan<float> images, int i)
        {
            float sum = 0;
            foreach (float v in images.Slice(i * ImageSize, ImageSize)) sum += v;
            return sum / ImageSize > 500;
        }
    }
}
