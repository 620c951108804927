using Adef.MLNet.Attacks;
using Adef.MLNet.Tests.TestSupport;
using static TorchSharp.torch;

namespace Adef.MLNet.Tests.Attacks.Operations;

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TensorCountCollection
{
    /// <summary>Tests that count live tensors process-wide (<c>Tensor.TotalCount</c>) run alone.</summary>
    public const string Name = "tensor count";
}

/// <summary>Attacks over torch ops free every tensor they create: none per iteration, none after the run.</summary>
[Collection(TensorCountCollection.Name)]
public class TensorLeakTests
{
    [Fact]
    public void AdefCreatesNoTensorPerIterationAndLeavesNoneBehind()
    {
        var classifier = QuadrantBlobs.Classifier;
        float[] images = QuadrantBlobs.Generate(40, seed: 5).Pixels;
        // Batches of 4 with rolling refill: many iterations, admissions, compactions and overshoot re-checks.
        var options = new AdefOptions
        {
            CandidateRanks = new[] { 1, 2, 3 }, MaxIterations = 50, Sigma = 1, OvershootFactor = 1.2, BatchSize = 4,
            Execution = AttackExecution.ClassifierDevice,
        };
        new AdefAttack(classifier, options).Run(images.AsMemory(0, 144)); // warm-up (lazy native state)

        SettleFinalizers();
        long before = Tensor.TotalCount;
        var live = new List<long>();
        AdefResult[] results = new AdefAttack(classifier, options).Run(images, progress: new Recorder(() => live.Add(Tensor.TotalCount)));
        long after = Tensor.TotalCount;

        Assert.Equal(before, after);
        Assert.True(live.Count >= 20, $"only {live.Count} iterations were observed");
        Assert.True(live.Max() == live.Min(), $"live tensors varied between iterations: {string.Join(", ", live.Distinct())}");
        Assert.Contains(results, r => r.Overshot);
    }

    [Fact]
    public void DeepFoolLeavesNoTensorBehind()
    {
        float[] images = QuadrantBlobs.Generate(12, seed: 6).Pixels;
        var options = new DeepFoolOptions { CandidateCount = 4, BatchSize = 5, Execution = AttackExecution.ClassifierDevice };
        new DeepFoolAttack(QuadrantBlobs.Classifier, options).Run(images);

        SettleFinalizers();
        long before = Tensor.TotalCount;
        new DeepFoolAttack(QuadrantBlobs.Classifier, options).Run(images);
        Assert.Equal(before, Tensor.TotalCount);
    }

    [Fact]
    public void PgdLeavesNoTensorBehind()
    {
        float[] images = QuadrantBlobs.Generate(12, seed: 7).Pixels;
        var options = new PgdOptions { Steps = 5, Epsilon = 0.1, StepSize = 0.02, BatchSize = 5, Execution = AttackExecution.ClassifierDevice };
        new PgdAttack(QuadrantBlobs.Classifier, options).Run(images);

        SettleFinalizers();
        long before = Tensor.TotalCount;
        new PgdAttack(QuadrantBlobs.Classifier, options).Run(images);
        Assert.Equal(before, Tensor.TotalCount);
    }

    /// <summary>
    /// Finalises tensors other tests dropped without disposing, so that the count below moves only with this test's
    /// tensors (a finaliser running mid-test would lower it). Leaks of the attack itself are not hidden: no collection
    /// runs between the two counts.
    /// </summary>
    private static void SettleFinalizers()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
    }

    private sealed class Recorder(Action record) : IProgress<AttackProgress>
    {
        public void Report(AttackProgress value) => record();
    }
}
