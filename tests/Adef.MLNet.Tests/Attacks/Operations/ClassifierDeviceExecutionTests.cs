using Adef.MLNet.Classifiers.TorchSharp;
using Adef.MLNet.Attacks;
using Adef.MLNet.Classifiers;
using Adef.MLNet.Tests.TestSupport;

namespace Adef.MLNet.Tests.Attacks.Operations;

/// <summary>
/// The attacks run over torch ops on the CPU (<see cref="AttackExecution.ClassifierDevice"/>, the code path a GPU runs)
/// reach the same results as over the host spans: same outcomes and labels, ‖τ‖_T within 1e−5 relative. ADef's last
/// iterations take tiny steps along the decision boundary, so float rounding (convolutions and channel sums add in
/// another order) may move the crossing by an iteration or two for single images; mean iterations agree within 5 %.
/// </summary>
public class ClassifierDeviceExecutionTests
{
    private static readonly float[] Blobs = QuadrantBlobs.Generate(40, seed: 99).Pixels;

    public static TheoryData<double, double, double, int> AdefSettings => new()
    {
        { 0.5, 1.2, double.PositiveInfinity, 0 }, // the MNIST preset's smoothing and overshoot
        { 0, 1.0, double.PositiveInfinity, 0 },   // no smoothing
        // A budget that stops some images, overshoot capped by it. An image whose field ends within rounding of the
        // budget may stop on one path and succeed on the other (their last steps differ in the last bits), so one such
        // image of the 40 may differ in outcome.
        { 1, 1.5, 2.5, 1 },
    };

    [Theory]
    [MemberData(nameof(AdefSettings))]
    public void AdefAgreesWithHostSpans(double sigma, double overshoot, double maxNorm, int outcomesAllowedToDiffer)
    {
        var options = new AdefOptions
        {
            CandidateRanks = new[] { 1, 2, 3 }, MaxIterations = 30, Sigma = sigma, OvershootFactor = overshoot, MaxNorm = maxNorm, BatchSize = 16,
        };
        AdefResult[] host = new AdefAttack(QuadrantBlobs.Classifier, options with { Execution = AttackExecution.Host }).Run(Blobs);
        AdefResult[] torch = new AdefAttack(QuadrantBlobs.Classifier, options with { Execution = AttackExecution.ClassifierDevice }).Run(Blobs);

        Assert.True(host.Count(r => r.Success) >= 5, "the comparison needs successful attacks");
        // Float rounding differs between the paths (and with libtorch's thread count, which other tests change), so an
        // image whose field creeps along the boundary may cross an iteration earlier or later (AssertSameAdef allows
        // that), or — near the budget or the iteration limit — stop on one path and succeed on the other.
        int[] differing = Enumerable.Range(0, host.Length).Where(i => host[i].Outcome != torch[i].Outcome).ToArray();
        Assert.True(differing.Length <= Math.Max(1, outcomesAllowedToDiffer),
            $"outcomes differ for images {string.Join(", ", differing.Select(i => Describe(i, host[i], torch[i])))}");
        foreach (int i in differing)
        {
            bool atALimit = Math.Max(host[i].Iterations, torch[i].Iterations) >= options.MaxIterations - 2
                || Math.Max(host[i].TNorm, torch[i].TNorm) >= 0.9 * maxNorm
                || host[i].Outcome == AttackOutcome.Stalled || torch[i].Outcome == AttackOutcome.Stalled;
            Assert.True(atALimit, $"image {Describe(i, host[i], torch[i])} differs away from the budget and the iteration limit");
        }
        AssertSameAdef(host.Where((_, i) => !differing.Contains(i)).ToArray(), torch.Where((_, i) => !differing.Contains(i)).ToArray(), QuadrantBlobs.Shape);
    }

    private static string Describe(int i, AdefResult host, AdefResult torch) =>
        $"{i} ({host.Outcome} after {host.Iterations}, ‖τ‖_T {host.TNorm} / {torch.Outcome} after {torch.Iterations}, {torch.TNorm})";

    [Fact]
    public void AdefOnAnRgbNetworkAgreesWithHostSpans()
    {
        using var classifier = RandomNetworks.RgbClassifier(seed: 21);
        float[] images = RandomNetworks.Images(24, RandomNetworks.Rgb, seed: 22);
        var options = new AdefOptions { CandidateRanks = new[] { 1, 2 }, MaxIterations = 20, Sigma = 1, OvershootFactor = 1.1, BatchSize = 10 };
        AdefResult[] host = new AdefAttack(classifier, options with { Execution = AttackExecution.Host }).Run(images);
        AdefResult[] torch = new AdefAttack(classifier, options with { Execution = AttackExecution.ClassifierDevice }).Run(images);

        Assert.True(host.Count(r => r.Success) >= 5, "the comparison needs successful attacks");
        AssertSameAdef(host, torch, RandomNetworks.Rgb);
    }

    [Theory]
    [InlineData(DeepFoolNorm.L2, null, null)]
    [InlineData(DeepFoolNorm.LInf, null, null)]
    [InlineData(DeepFoolNorm.L2, 0f, 1f)]
    public void DeepFoolAgreesWithHostSpans(DeepFoolNorm norm, float? clipMin, float? clipMax)
    {
        using var classifier = RandomNetworks.RgbClassifier(seed: 31);
        float[] images = RandomNetworks.Images(24, RandomNetworks.Rgb, seed: 32);
        var options = new DeepFoolOptions { Norm = norm, CandidateCount = 4, BatchSize = 10, ClipMin = clipMin, ClipMax = clipMax };
        PerturbationResult[] host = new DeepFoolAttack(classifier, options with { Execution = AttackExecution.Host }).Run(images);
        PerturbationResult[] torch = new DeepFoolAttack(classifier, options with { Execution = AttackExecution.ClassifierDevice }).Run(images);

        Assert.True(host.Count(r => r.Success) >= 12, "the comparison needs successful attacks");
        for (int i = 0; i < host.Length; i++)
        {
            AssertSameOutcome(host[i], torch[i]);
            Assert.True(Math.Abs(host[i].PixelL2 - torch[i].PixelL2) <= 1e-5 * Math.Max(host[i].PixelL2, 1e-6), $"image {i}: ℓ2 {host[i].PixelL2} vs {torch[i].PixelL2}");
            TorchOperationsTests.AssertClose(host[i].Perturbation, torch[i].Perturbation, 1e-4);
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void PgdAgreesWithHostSpans(bool randomStart)
    {
        var options = new PgdOptions { Epsilon = 0.15, StepSize = 0.02, Steps = 12, RandomStart = randomStart, Seed = 5, BatchSize = 16 };
        PerturbationResult[] host = new PgdAttack(QuadrantBlobs.Classifier, options with { Execution = AttackExecution.Host }).Run(Blobs);
        PerturbationResult[] torch = new PgdAttack(QuadrantBlobs.Classifier, options with { Execution = AttackExecution.ClassifierDevice }).Run(Blobs);

        Assert.Contains(host, r => r.Success);
        Assert.Contains(host, r => !r.Success);
        for (int i = 0; i < host.Length; i++)
        {
            AssertSameOutcome(host[i], torch[i]);
            TorchOperationsTests.AssertClose(host[i].Perturbation, torch[i].Perturbation, 1e-5);
            Assert.True(torch[i].PixelLInf <= options.Epsilon + 1e-6, $"image {i}: ℓ∞ {torch[i].PixelLInf}");
        }
    }

    [Fact]
    public void ClassifierDeviceNeedsADeviceResidentClassifier()
    {
        var spansOnly = new MarginsOnlyClassifier(QuadrantBlobs.Classifier);
        var attack = new AdefAttack(spansOnly, new AdefOptions { Execution = AttackExecution.ClassifierDevice });
        var error = Assert.Throws<ArgumentException>(() => attack.Run(Blobs.AsMemory(0, 144)));
        Assert.Contains("IDeviceResidentClassifier", error.Message);
    }

    private static void AssertSameAdef(AdefResult[] host, AdefResult[] torch, ImageShape shape)
    {
        Assert.Equal(host.Length, torch.Length);
        double hostIterations = host.Average(r => r.Iterations), torchIterations = torch.Average(r => r.Iterations);
        Assert.True(Math.Abs(hostIterations - torchIterations) <= 0.05 * hostIterations,
            $"mean iterations {hostIterations} on the host, {torchIterations} with tensors");
        for (int i = 0; i < host.Length; i++)
        {
            AssertSameOutcome(host[i], torch[i], sameIterations: false);
            Assert.Equal(host[i].Overshot, torch[i].Overshot);
            Assert.True(Math.Abs(host[i].TNorm - torch[i].TNorm) <= 1e-5 * Math.Max(host[i].TNorm, 1e-6),
                $"image {i}: ‖τ‖_T {host[i].TNorm} on the host, {torch[i].TNorm} with tensors");
            TorchOperationsTests.AssertClose(host[i].VectorField, torch[i].VectorField, 1e-4);
            Assert.Equal(2 * shape.Height * shape.Width, torch[i].VectorField.Length);
        }
    }

    private static void AssertSameOutcome(AttackResult host, AttackResult torch, bool sameIterations = true)
    {
        Assert.Equal(host.Index, torch.Index);
        Assert.Equal(host.Outcome, torch.Outcome);
        Assert.Equal(host.OriginalLabel, torch.OriginalLabel);
        Assert.Equal(host.AdversarialLabel, torch.AdversarialLabel);
        if (sameIterations) Assert.Equal(host.Iterations, torch.Iterations);
    }
}
