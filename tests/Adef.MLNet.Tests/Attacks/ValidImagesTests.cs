using Adef.MLNet.Attacks;
using Adef.MLNet.Classifiers;
using Adef.MLNet.Data;
using Adef.MLNet.Tests.TestSupport;

namespace Adef.MLNet.Tests.Attacks;

/// <summary>
/// <see cref="AttackOptions.ValidImages"/>: returned images lie on the 8-bit grid of the classifier's preprocessing, every
/// reported success still fools from its rounded pixels, and successes that rounding undoes are repaired.
/// </summary>
public class ValidImagesTests
{
    private static readonly ImagePreprocessing Gray = new(ChannelOrder.Gray);
    private static readonly IDifferentiableClassifier Blobs = new StatedPreprocessing(QuadrantBlobs.Classifier, Gray);
    private static readonly float[] Images = QuadrantBlobs.Generate(40, seed: 99).Pixels;
    private static readonly AdefOptions Adef = new() { CandidateRanks = [1, 2, 3], MaxIterations = 50, Sigma = 0.5, BatchSize = 16 };
    private static readonly DeepFoolOptions DeepFool = new() { CandidateCount = 4, OvershootFraction = 0, BatchSize = 16 };
    private static readonly PgdOptions Pgd = new() { Epsilon = 0.3, StepSize = 0.05, Steps = 10, BatchSize = 16 };

    public static TheoryData<string> Attacks => ["adef", "deepfool", "pgd"];

    private static AttackResult[] Run(string attack, bool valid, float[]? images = null) => attack switch
    {
        "adef" => new AdefAttack(Blobs, Adef with { ValidImages = valid }).Run(images ?? Images),
        "deepfool" => new DeepFoolAttack(Blobs, DeepFool with { ValidImages = valid }).Run(images ?? Images),
        _ => new PgdAttack(Blobs, Pgd with { ValidImages = valid }).Run(images ?? Images),
    };

    /// <summary>The image mapped to bytes and back, as a PNG of it reads back.</summary>
    private static float[] RoundTrip(ImagePreprocessing preprocessing, float[] image)
    {
        var back = new float[image.Length];
        preprocessing.Normalize(preprocessing.Denormalize(image), back);
        return back;
    }

    [Theory]
    [MemberData(nameof(Attacks))]
    public void ReturnedImagesLieExactlyOnThe8BitGridWithinBounds(string attack)
    {
        AttackResult[] results = Run(attack, valid: true);

        (float min, float max) = Gray.ChannelBounds(0);
        foreach (AttackResult result in results)
        {
            Assert.Equal(RoundTrip(Gray, result.AdversarialImage), result.AdversarialImage);
            Assert.All(result.AdversarialImage, v => Assert.InRange(v, min, max));
        }
    }

    [Theory]
    [MemberData(nameof(Attacks))]
    public void EveryReportedSuccessFoolsWhenReclassifiedFromItsRoundedPixels(string attack)
    {
        AttackResult[] results = Run(attack, valid: true);

        Assert.True(results.Count(r => r.Success) >= 20, $"only {results.Count(r => r.Success)} of 40 fooled");
        foreach (AttackResult result in results)
        {
            int label = ModelChecks.LabelOf(Blobs, RoundTrip(Gray, result.AdversarialImage));
            Assert.Equal(result.AdversarialLabel, label);
            Assert.Equal(result.Success, result.FoolsAfterRounding);
            Assert.Equal(result.Success, label != result.OriginalLabel);
        }
    }

    [Fact]
    public void RoundingBreaksAnUnroundedDeepFoolSuccessAndTheOptionRepairsIt()
    {
        // F_1 − F_0 = Σx − 401.2/255 on four pixels of level 100: DeepFool moves each by 0.3 levels, which rounding takes back;
        // the repair grows the perturbation until each pixel rounds to level 101 (scale 1.8: 0.55 levels).
        var shape = new ImageShape(1, 1, 4);
        var linear = new LinearClassifier(shape, [new float[4], [1, 1, 1, 1]], [0, -401.2f / 255]);
        var classifier = new StatedPreprocessing(linear, Gray);
        var image = new float[4];
        Gray.Normalize(Enumerable.Repeat(new byte[] { 100, 100, 100, 255 }, 4).SelectMany(p => p).ToArray(), image);
        var options = new DeepFoolOptions { CandidateCount = 2, OvershootFraction = 0 };

        PerturbationResult plain = new DeepFoolAttack(classifier, options).Run(image)[0];
        Assert.True(plain.Success);
        Assert.Null(plain.FoolsAfterRounding);
        Assert.Equal(0, ModelChecks.LabelOf(classifier, RoundTrip(Gray, plain.AdversarialImage)));

        PerturbationResult valid = new DeepFoolAttack(classifier, options with { ValidImages = true }).Run(image)[0];
        Assert.True(valid.Success);
        Assert.True(valid.FoolsAfterRounding);
        Assert.Equal(1, valid.AdversarialLabel);
        Assert.Equal(plain.Iterations, valid.Iterations);
        Assert.All(valid.AdversarialImage, v => Assert.Equal(101f / 255, v));
        Assert.Equal(1, ModelChecks.LabelOf(classifier, RoundTrip(Gray, valid.AdversarialImage)));
    }

    [Fact]
    public void RoundingBreaksUnroundedAdefSuccessesAndTheOptionRepairsThem()
    {
        var options = Adef with { OvershootFactor = 1 };
        AdefResult[] plain = new AdefAttack(Blobs, options).Run(Images);
        int[] broken = plain.Where(r => r.Success && ModelChecks.LabelOf(Blobs, RoundTrip(Gray, r.AdversarialImage)) == r.OriginalLabel)
            .Select(r => r.Index).ToArray();
        Assert.NotEmpty(broken);

        AdefResult[] valid = new AdefAttack(Blobs, options with { ValidImages = true }).Run(Images);
        foreach (int i in broken)
        {
            Assert.True(valid[i].Success, $"image {i}: {valid[i].Outcome}");
            Assert.True(valid[i].TNorm > plain[i].TNorm, $"image {i}: the field did not grow");
            Assert.Equal(plain[i].Iterations, valid[i].Iterations);
        }
    }

    [Fact]
    public void AdefRepairStaysWithinTheBudgetAndReportsWhatRoundingTookAway()
    {
        var options = Adef with { OvershootFactor = 1 };
        AdefResult[] plain = new AdefAttack(Blobs, options).Run(Images);
        AdefResult smallest = plain.Where(r => r.Success && ModelChecks.LabelOf(Blobs, RoundTrip(Gray, r.AdversarialImage)) == r.OriginalLabel)
            .MinBy(r => r.TNorm)!;
        double budget = smallest.TNorm * 1.0001; // its field fits, with no room to grow

        AdefResult[] valid = new AdefAttack(Blobs, options with { MaxNorm = budget, ValidImages = true }).Run(Images);

        Assert.All(valid, r => Assert.True(r.TNorm < budget, $"image {r.Index}: ‖τ‖_T {r.TNorm} ≥ {budget}"));
        AdefResult lost = valid[smallest.Index];
        Assert.Equal(AttackOutcome.LostToRounding, lost.Outcome);
        Assert.False(lost.Success);
        Assert.False(lost.FoolsAfterRounding);
        Assert.Equal(lost.AdversarialLabel, ModelChecks.LabelOf(Blobs, RoundTrip(Gray, lost.AdversarialImage)));
        Assert.Equal(lost.OriginalLabel, lost.AdversarialLabel);
    }

    [Fact]
    public void PgdWithValidImagesStaysWithinTheEpsilonBallOfAnImageOnTheGrid()
    {
        float[] onGrid = RoundTrip(Gray, Images);
        PerturbationResult[] results = new PgdAttack(Blobs, Pgd with { ValidImages = true }).Run(onGrid);

        Assert.Contains(results, r => r.Success);
        Assert.All(results, r => Assert.True(r.PixelLInf <= Pgd.Epsilon, $"image {r.Index}: ℓ∞ {r.PixelLInf}"));
    }

    [Theory]
    [MemberData(nameof(Attacks))]
    public void TheOptionOffReturnsExactlyWhatTheAttackReturnsWithoutIt(string attack)
    {
        AttackResult[] off = Run(attack, valid: false);
        AttackResult[] plain = attack switch
        {
            "adef" => new AdefAttack(QuadrantBlobs.Classifier, Adef).Run(Images),
            // The stated grey preprocessing gives DeepFool the bounds [0, 1]; the classifier that states none needs them spelled out.
            "deepfool" => new DeepFoolAttack(QuadrantBlobs.Classifier, DeepFool with { ClipMin = 0, ClipMax = 1 }).Run(Images),
            _ => new PgdAttack(QuadrantBlobs.Classifier, Pgd).Run(Images),
        };

        for (int i = 0; i < off.Length; i++)
        {
            Assert.Null(off[i].FoolsAfterRounding);
            Assert.Equal(plain[i].Outcome, off[i].Outcome);
            Assert.Equal(plain[i].AdversarialLabel, off[i].AdversarialLabel);
            Assert.Equal(plain[i].Iterations, off[i].Iterations);
            Assert.Equal(plain[i].AdversarialImage, off[i].AdversarialImage);
        }
    }

    [Fact]
    public void WithoutAStatedPreprocessingTheOptionIsRefusedNamingWhatToSet()
    {
        var e = Assert.Throws<ArgumentException>(() => new AdefAttack(QuadrantBlobs.Classifier, Adef with { ValidImages = true }));
        Assert.Contains("OnnxClassifierOptions.InputPreprocessing", e.Message);
        Assert.Contains("TorchSharpClassifier", e.Message);
        Assert.Throws<ArgumentException>(() => new DeepFoolAttack(QuadrantBlobs.Classifier, DeepFool with { ValidImages = true }));
        Assert.Throws<ArgumentException>(() => new PgdAttack(QuadrantBlobs.Classifier, Pgd with { ValidImages = true }));
        var rgb = new StatedPreprocessing(QuadrantBlobs.Classifier, new ImagePreprocessing(ChannelOrder.Rgb));
        Assert.Contains("channel", Assert.Throws<ArgumentException>(() => new AdefAttack(rgb, Adef with { ValidImages = true })).Message);
    }

    [Fact]
    public void TheCallersImagesAreNotModified()
    {
        float[] copy = Images.ToArray();
        foreach (string attack in (string[])["adef", "deepfool", "pgd"]) Run(attack, valid: true, copy);
        Assert.Equal(Images, copy);
    }
}
