using Adef.Experiments;
using Adef.MLNet.Attacks;
using Adef.MLNet.Tests.TestSupport;

namespace Adef.MLNet.Tests.Attacks;

public class StreamingAttackTests
{
    private static readonly float[] Images = QuadrantBlobs.Generate(40, seed: 31).Pixels;
    private static readonly AdefOptions AdefOptions = new() { CandidateRanks = new[] { 1, 2, 3 }, MaxIterations = 50, Sigma = 0.5, BatchSize = 8 };
    private static readonly DeepFoolOptions DeepFoolOptions = new() { BatchSize = 8 };

    [Fact]
    public void AdefStreamingDeliversOneResultPerImageEqualToTheArrayForm()
    {
        var attack = new AdefAttack(QuadrantBlobs.Classifier, AdefOptions);
        AdefResult[] expected = attack.Run(Images);
        var streamed = new List<AdefResult>();
        attack.Run(Images, streamed.Add);

        Assert.Equal(expected.Length, streamed.Count);
        Assert.Equal(Enumerable.Range(0, expected.Length), streamed.Select(r => r.Index).Order());
        foreach (AdefResult result in streamed)
        {
            AdefResult reference = expected[result.Index];
            AssertSame(reference, result);
            Assert.Equal(reference.VectorField, result.VectorField);
            Assert.Equal(reference.TNorm, result.TNorm);
            Assert.Equal(reference.Overshot, result.Overshot);
        }
    }

    [Fact]
    public void DeepFoolStreamingDeliversOneResultPerImageEqualToTheArrayForm()
    {
        var attack = new DeepFoolAttack(QuadrantBlobs.Classifier, DeepFoolOptions);
        PerturbationResult[] expected = attack.Run(Images);
        var streamed = new List<PerturbationResult>();
        attack.Run(Images, streamed.Add);

        Assert.Equal(expected.Length, streamed.Count);
        Assert.Equal(Enumerable.Range(0, expected.Length), streamed.Select(r => r.Index).Order());
        foreach (PerturbationResult result in streamed)
        {
            AssertSame(expected[result.Index], result);
            Assert.Equal(expected[result.Index].Perturbation, result.Perturbation);
        }
    }

    [Fact]
    public void ResultsArriveWhileOtherImagesAreStillActive()
    {
        AttackProgress? last = null;
        AttackProgress? atFirstResult = null;
        var progress = new SynchronousProgress(p => last = p);
        new AdefAttack(QuadrantBlobs.Classifier, AdefOptions).Run(Images, _ => atFirstResult ??= last, progress: progress);

        Assert.NotNull(atFirstResult);
        Assert.True(atFirstResult!.Value.Completed < atFirstResult.Value.Total, $"the first result came after all 40 images finished ({atFirstResult})");
    }

    [Fact]
    public void CancelingTheStreamingFormThrowsAPlainOperationCanceledAfterDeliveringFinishedResults()
    {
        using var cancellation = new CancellationTokenSource();
        var delivered = new List<PerturbationResult>();
        var thrown = Assert.ThrowsAny<OperationCanceledException>(() =>
            new DeepFoolAttack(QuadrantBlobs.Classifier, DeepFoolOptions).Run(Images, r =>
            {
                delivered.Add(r);
                cancellation.Cancel();
            }, cancellationToken: cancellation.Token));

        Assert.Equal(typeof(OperationCanceledException), thrown.GetType());
        Assert.NotEmpty(delivered);
        Assert.True(delivered.Count < 40);
        Assert.Equal(delivered.Count, delivered.Select(r => r.Index).Distinct().Count());
    }

    private static void AssertSame(AttackResult expected, AttackResult actual)
    {
        Assert.Equal(expected.Index, actual.Index);
        Assert.Equal(expected.OriginalLabel, actual.OriginalLabel);
        Assert.Equal(expected.AdversarialLabel, actual.AdversarialLabel);
        Assert.Equal(expected.Outcome, actual.Outcome);
        Assert.Equal(expected.Iterations, actual.Iterations);
        Assert.Equal(expected.AdversarialImage, actual.AdversarialImage);
        Assert.Equal(expected.PixelL2, actual.PixelL2);
    }

    private sealed class SynchronousProgress(Action<AttackProgress> report) : IProgress<AttackProgress>
    {
        public void Report(AttackProgress value) => report(value);
    }
}
