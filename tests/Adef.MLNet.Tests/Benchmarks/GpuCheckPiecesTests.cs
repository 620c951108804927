using Adef.Experiments;
using Adef.MLNet.Attacks;
using Adef.MLNet.Classifiers;
using Adef.MLNet.Tests.TestSupport;
using Adef.GpuCheck;
using static TorchSharp.torch;

namespace Adef.MLNet.Tests.Benchmarks;

[Collection(ConsoleDisplayCollection.Name)]
public class GpuCheckPiecesTests
{
    [Fact]
    public void ResNet50HasTorchvisionsParameterCountAndMapsImagesToLogits()
    {
        using var network = new ResNet50(classes: 1000, seed: 0);
        Assert.Equal(25_557_032L, network.parameters().Sum(p => p.numel()));
        network.eval();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        Tensor logits = network.forward(rand(2, 3, 64, 64));
        Assert.Equal(new long[] { 2, 1000 }, logits.shape);
        Assert.True(logits.isfinite().all().item<bool>());
    }

    [Fact]
    public void ResNet50WeightsDependOnlyOnTheSeed()
    {
        using var a = new ResNet50(classes: 10, seed: 3);
        using var b = new ResNet50(classes: 10, seed: 3);
        using var c = new ResNet50(classes: 10, seed: 4);
        var (pa, pb, pc) = (a.parameters().First(), b.parameters().First(), c.parameters().First());
        Assert.True(pa.eq(pb).all().item<bool>());
        Assert.False(pa.eq(pc).all().item<bool>());
    }

    [Fact]
    public void SyntheticPhotosAreSeededAndNormalised()
    {
        float[] first = SyntheticPhotos.Generate(2, 32, seed: 1), again = SyntheticPhotos.Generate(2, 32, seed: 1);
        Assert.Equal(2 * 3 * 32 * 32, first.Length);
        Assert.Equal(first, again);
        Assert.NotEqual(first, SyntheticPhotos.Generate(2, 32, seed: 2));
        Assert.All(first, v => Assert.InRange(v, -0.485f / 0.229f - 1e-4f, (1 - 0.406f) / 0.225f + 1e-4f));
    }

    [Fact]
    public void AgreementComparesImageByImage()
    {
        AdefResult[] a = { Result(0, AttackOutcome.Fooled, 4, 1.0), Result(1, AttackOutcome.Fooled, 6, 2.0), Result(2, AttackOutcome.Stalled, 3, 0.5) };
        AdefResult[] b = { Result(0, AttackOutcome.Fooled, 4, 1.0), Result(1, AttackOutcome.Fooled, 7, 2.25), Result(2, AttackOutcome.Fooled, 3, 0.5) };

        var agreement = DeviceAgreement.Compare(a, b, r => r.TNorm);
        Assert.Equal(2.0 / 3, agreement.SuccessRateA, 12);
        Assert.Equal(1.0, agreement.SuccessRateB, 12);
        Assert.Equal(100.0 / 3, agreement.SuccessPoints, 9);
        Assert.Equal(1.0 / 13, agreement.IterationsRelative, 12);
        Assert.Equal(0.25, agreement.MaxNormDifference, 12);
        Assert.Equal(2, agreement.SameOutcome);
        Assert.False(agreement.Agrees);
        Assert.True(DeviceAgreement.Compare(a, a, r => r.TNorm).Agrees);
        Assert.Throws<ArgumentException>(() => DeviceAgreement.Compare(a, b.Reverse().ToArray(), r => r.TNorm));
    }

    [Fact]
    public void CpuSideAttacksOnlyTheFirstCpuImagesAndWithoutCudaComparesNothing()
    {
        manual_seed(5);
        using var model = nn.Sequential(nn.Flatten(), nn.Linear(16, 3));
        float[] images = Enumerable.Range(0, 6 * 16).Select(i => (float)Math.Sin(i * 0.37)).ToArray();

        var workload = new DeviceWorkload("tiny", model, new ImageShape(1, 4, 4), 3, images, null, AdefOptions.Mnist with { CandidateRanks = new[] { 1, 2 } },
            new DeepFoolOptions { CandidateCount = 3 }, BatchSize: 4, CpuImages: 4);
        ModelReport report = DeviceRun.Compare(workload, bestBatchSizes: new[] { 2 }, gpu: null);

        Assert.Equal(new[] { ("ADef", 4), ("DeepFool ℓ2", 4) }, report.Timings.Select(t => (t.Attack, t.Images)));
        Assert.All(report.Timings, t => Assert.Equal("cpu", t.Device));
        Assert.Empty(report.Agreements);
    }

    [Fact]
    public void TimedClassifierPassesCallsThroughAndSplitsTheTime()
    {
        manual_seed(6);
        using var model = nn.Sequential(nn.Flatten(), nn.Linear(16, 3));
        using var classifier = new Adef.MLNet.Classifiers.TorchSharp.TorchSharpClassifier(model, new ImageShape(1, 4, 4), 3);
        float[] images = Enumerable.Range(0, 5 * 16).Select(i => (float)Math.Cos(i * 0.29)).ToArray();
        var options = AdefOptions.Mnist with { CandidateRanks = new[] { 1, 2 }, BatchSize = 2 };
        var timed = new TimedClassifier(classifier);

        AdefResult[] direct = new AdefAttack(classifier, options).Run(images);
        AdefResult[] throughTimer = new AdefAttack(timed, options).Run(images);

        Assert.Equal(direct.Select(r => (r.Outcome, r.Iterations, r.AdversarialLabel)), throughTimer.Select(r => (r.Outcome, r.Iterations, r.AdversarialLabel)));
        Assert.Equal(direct.SelectMany(r => r.AdversarialImage), throughTimer.SelectMany(r => r.AdversarialImage));
        // Admission (3 batches) plus at least one gradient call per iteration.
        Assert.True(timed.Calls >= 3 + direct.Max(r => r.Iterations), $"{timed.Calls} calls");
        Assert.True(timed.InModel > TimeSpan.Zero);

        var workload = new DeviceWorkload("tiny", model, new ImageShape(1, 4, 4), 3, images, null, options, new DeepFoolOptions { CandidateCount = 3 }, 2);
        TimeSplit split = DeviceRun.Split(workload, CPU)[0];
        Assert.Equal(("ADef", 5), (split.Attack, split.Images));
        Assert.Equal((timed.ForwardImages, timed.BackwardImages), (split.ForwardImages, split.BackwardImages));
        Assert.InRange(split.ModelSeconds, 0, split.Seconds);
        Assert.All(DeviceRun.Split(workload with { CpuImages = 3 }, CPU), s => Assert.Equal(3, s.Images));
    }

    private static AdefResult Result(int index, AttackOutcome outcome, int iterations, double tNorm) => new()
    {
        Index = index, OriginalLabel = 0, AdversarialLabel = outcome == AttackOutcome.Fooled ? 1 : 0, Outcome = outcome, Iterations = iterations,
        AdversarialImage = Array.Empty<float>(), PixelL2 = 0, PixelLInf = 0, VectorField = Array.Empty<float>(), TNorm = tNorm, FieldL2 = 0, Overshot = false,
    };
}
