using Adef.Experiments;
using Adef.MLNet.Attacks;
using Adef.MLNet.Evaluation;
using Adef.MLNet.Imaging;
using Adef.MLNet.Tests.TestSupport;

namespace Adef.MLNet.Tests.Attacks;

public class AdefAttackTests
{
    private static readonly float[] Images = QuadrantBlobs.Generate(40, seed: 99).Pixels;
    private static readonly AdefOptions Options = new() { CandidateRanks = new[] { 1, 2, 3 }, MaxIterations = 50, Sigma = 0.5, OvershootFactor = 1.2, BatchSize = 16 };

    [Fact]
    public void TrainedTestModelIsAccurate()
    {
        var data = QuadrantBlobs.Generate(200, seed: 5);
        Assert.True(ClassifierAccuracy.Accuracy(QuadrantBlobs.Classifier, data) > 0.95);
    }

    [Fact]
    public void EverySuccessIsConfirmedByRerunningTheModelOnTheReturnedImage()
    {
        AdefResult[] results = new AdefAttack(QuadrantBlobs.Classifier, Options).Run(Images);

        Assert.True(results.Count(r => r.Success) >= 36, $"only {results.Count(r => r.Success)} of 40 fooled");
        foreach (AdefResult result in results)
        {
            int label = ModelChecks.LabelOf(QuadrantBlobs.Classifier, result.AdversarialImage);
            Assert.Equal(result.AdversarialLabel, label);
            if (result.Success) Assert.NotEqual(result.OriginalLabel, label);
            else Assert.Equal(result.OriginalLabel, label);
        }
    }

    [Fact]
    public void ReturnedImageIsTheOriginalWarpedByTheReturnedField()
    {
        AdefResult[] results = new AdefAttack(QuadrantBlobs.Classifier, Options).Run(Images);
        var shape = QuadrantBlobs.Shape;
        foreach (AdefResult result in results)
        {
            var warped = new float[shape.Size];
            BilinearWarp.Apply(Images.AsSpan(result.Index * shape.Size, shape.Size), result.VectorField, warped, 1, shape.Height, shape.Width);
            Assert.Equal(warped, result.AdversarialImage);
            Assert.Equal(FieldNorms.TNorm(result.VectorField, shape.Height, shape.Width), result.TNorm);
            Assert.Equal(FieldNorms.L2(result.VectorField), result.FieldL2);
            Assert.Equal(FieldNorms.DifferenceL2(result.AdversarialImage, Images.AsSpan(result.Index * shape.Size, shape.Size)), result.PixelL2);
            Assert.Equal(result.Index, Array.IndexOf(results, result));
        }
    }

    [Fact]
    public void RankTargetedSuccessLandsInTheCandidateSet()
    {
        var options = Options with { CandidateRanks = new[] { 3 }, RankTargeted = true };
        AdefResult[] results = new AdefAttack(QuadrantBlobs.Classifier, options).Run(Images);

        Assert.Contains(results, r => r.Success);
        foreach (AdefResult result in results.Where(r => r.Success))
        {
            var logits = new float[4];
            QuadrantBlobs.Classifier.ComputeLogits(Images.AsSpan(result.Index * 144, 144), 1, logits);
            int rank3 = Enumerable.Range(0, 4).OrderByDescending(i => logits[i]).ElementAt(3);
            Assert.Equal(rank3, result.AdversarialLabel);
            Assert.Equal(rank3, ModelChecks.LabelOf(QuadrantBlobs.Classifier, result.AdversarialImage));
        }
    }

    [Theory]
    [InlineData(1.0)]
    [InlineData(1.5)]
    public void MaxNormIsNeverExceeded(double overshoot)
    {
        var options = Options with { MaxNorm = 1.0, OvershootFactor = overshoot };
        AdefResult[] results = new AdefAttack(QuadrantBlobs.Classifier, options).Run(Images);

        Assert.All(results, r => Assert.True(r.TNorm < 1.0, $"‖τ‖_T = {r.TNorm}"));
        Assert.Contains(results, r => r.Outcome == AttackOutcome.BudgetExceeded);
        Assert.All(results.Where(r => r.Outcome == AttackOutcome.BudgetExceeded), r => Assert.False(r.Success));
    }

    [Fact]
    public void ZeroIterationsReturnsTheImageUnchanged()
    {
        AdefResult[] results = new AdefAttack(QuadrantBlobs.Classifier, Options with { MaxIterations = 0 }).Run(Images);
        foreach (AdefResult result in results)
        {
            Assert.Equal(AttackOutcome.MaxIterationsReached, result.Outcome);
            Assert.Equal(0, result.Iterations);
            Assert.Equal(Images.AsSpan(result.Index * 144, 144).ToArray(), result.AdversarialImage);
            Assert.All(result.VectorField, v => Assert.Equal(0f, v));
            Assert.Equal(result.OriginalLabel, result.AdversarialLabel);
        }
    }

    [Fact]
    public void AlreadyMisclassifiedImagesAreNotAttacked()
    {
        int[] predicted = ClassifierAccuracy.Predict(QuadrantBlobs.Classifier, Images, 40);
        int[] wrong = predicted.Select(p => (p + 1) % 4).ToArray();
        AdefResult[] results = new AdefAttack(QuadrantBlobs.Classifier, Options).Run(Images, wrong);
        Assert.All(results, r =>
        {
            Assert.Equal(AttackOutcome.AlreadyMisclassified, r.Outcome);
            Assert.False(r.Success);
            Assert.Equal(0, r.Iterations);
            Assert.Equal(0, r.TNorm);
        });
    }

    [Fact]
    public void InputIsNotModifiedAndRunsAreDeterministic()
    {
        float[] copy = (float[])Images.Clone();
        var attack = new AdefAttack(QuadrantBlobs.Classifier, Options);
        AdefResult[] first = attack.Run(copy);
        AdefResult[] second = attack.Run(copy);
        Assert.Equal(Images, copy);
        for (int i = 0; i < first.Length; i++)
        {
            Assert.Equal(first[i].VectorField, second[i].VectorField);
            Assert.Equal(first[i].Iterations, second[i].Iterations);
        }
    }

    /// <summary>
    /// Batched and one-at-a-time runs follow the same trajectories; logits differ in the last bits
    /// between batch sizes, which can move the step where a slowly converging field crosses the
    /// decision boundary by an iteration, but not the field itself.
    /// </summary>
    [Fact]
    public void BatchSizeDoesNotChangeTheOutcome()
    {
        AdefResult[] batched = new AdefAttack(QuadrantBlobs.Classifier, Options with { BatchSize = 40 }).Run(Images);
        AdefResult[] single = new AdefAttack(QuadrantBlobs.Classifier, Options with { BatchSize = 1 }).Run(Images);
        for (int i = 0; i < 40; i++)
        {
            Assert.Equal(single[i].Success, batched[i].Success);
            Assert.Equal(single[i].TNorm, batched[i].TNorm, 0.02 * single[i].TNorm + 1e-6);
        }
        Assert.Equal(single.Average(r => r.Iterations), batched.Average(r => r.Iterations), 0.1 * single.Average(r => r.Iterations));
    }

    [Fact]
    public void ProgressReachesTheTotalAndCancellationStopsTheRun()
    {
        var reports = new List<AttackProgress>();
        new AdefAttack(QuadrantBlobs.Classifier, Options).Run(Images, progress: new SynchronousProgress(reports.Add));
        Assert.Equal(40, reports[^1].Completed);
        Assert.Equal(0, reports[^1].Active);
        Assert.True(reports.Select(r => r.Completed).SequenceEqual(reports.Select(r => r.Completed).Order()));

        using var cancellation = new CancellationTokenSource();
        var cancelling = new SynchronousProgress(_ => cancellation.Cancel());
        var canceled = Assert.ThrowsAny<OperationCanceledException>(() =>
            new AdefAttack(QuadrantBlobs.Classifier, Options).Run(Images, progress: cancelling, cancellationToken: cancellation.Token));
        Assert.IsType<AttackCanceledException<AdefResult>>(canceled);
    }

    [Theory]
    [InlineData(new int[0], typeof(ArgumentException))]
    [InlineData(new[] { 4 }, typeof(ArgumentOutOfRangeException))]
    [InlineData(new[] { 0 }, typeof(ArgumentOutOfRangeException))]
    [InlineData(new[] { 1, 1 }, typeof(ArgumentException))]
    public void InvalidCandidatesAreRejected(int[] candidates, Type exception)
    {
        var error = Assert.ThrowsAny<ArgumentException>(() => new AdefAttack(QuadrantBlobs.Classifier, Options with { CandidateRanks = candidates }));
        Assert.IsType(exception, error);
    }

    [Fact]
    public void InvalidNumericOptionsAreRejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new AdefAttack(QuadrantBlobs.Classifier, Options with { OvershootFactor = 0.9 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new AdefAttack(QuadrantBlobs.Classifier, Options with { Sigma = -1 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new AdefAttack(QuadrantBlobs.Classifier, Options with { MaxNorm = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new AdefAttack(QuadrantBlobs.Classifier, Options with { MaxIterations = -1 }));
        var attack = new AdefAttack(QuadrantBlobs.Classifier, Options);
        Assert.Throws<ArgumentException>(() => attack.Run(new float[145]));
    }

    private sealed class SynchronousProgress(Action<AttackProgress> report) : IProgress<AttackProgress>
    {
        public void Report(AttackProgress value) => report(value);
    }
}
