using Adef.MLNet.Attacks;
using Adef.MLNet.Tests.TestSupport;

namespace Adef.MLNet.Tests.Attacks;

public class DeepFoolAttackTests
{
    private static readonly float[] Images = QuadrantBlobs.Generate(40, seed: 77).Pixels;

    [Theory]
    [InlineData(DeepFoolNorm.L2)]
    [InlineData(DeepFoolNorm.LInf)]
    public void EverySuccessIsConfirmedByRerunningTheModel(DeepFoolNorm norm)
    {
        PerturbationResult[] results = new DeepFoolAttack(QuadrantBlobs.Classifier, new DeepFoolOptions { Norm = norm, BatchSize = 16 }).Run(Images);

        Assert.True(results.Count(r => r.Success) >= 38, $"only {results.Count(r => r.Success)} of 40 fooled");
        foreach (PerturbationResult result in results)
        {
            int label = ModelChecks.LabelOf(QuadrantBlobs.Classifier, result.AdversarialImage);
            Assert.Equal(result.AdversarialLabel, label);
            Assert.Equal(result.Success, label != result.OriginalLabel);
            ReadOnlySpan<float> original = Images.AsSpan(result.Index * 144, 144);
            for (int p = 0; p < 144; p++) Assert.Equal(result.AdversarialImage[p] - original[p], result.Perturbation[p]);
        }
    }

    [Fact]
    public void LInfStepsMoveEveryPixelByTheSameAmountInTheFirstIteration()
    {
        var options = new DeepFoolOptions { Norm = DeepFoolNorm.LInf, MaxIterations = 1 };
        PerturbationResult[] results = new DeepFoolAttack(QuadrantBlobs.Classifier, options).Run(Images);
        foreach (PerturbationResult result in results)
        {
            float magnitude = result.Perturbation.Max(MathF.Abs);
            Assert.All(result.Perturbation, p => Assert.True(p == 0 || Math.Abs(Math.Abs(p) - magnitude) <= 1e-5f * magnitude + 1e-7f));
        }
    }

    [Fact]
    public void ClippingKeepsPixelsInRange()
    {
        var options = new DeepFoolOptions { ClipMin = 0, ClipMax = 1, OvershootFraction = 0.5 };
        PerturbationResult[] results = new DeepFoolAttack(QuadrantBlobs.Classifier, options).Run(Images);
        Assert.All(results, r => Assert.All(r.AdversarialImage, v => Assert.InRange(v, 0f, 1f)));
    }

    [Fact]
    public void OptionsAreValidated()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new DeepFoolAttack(QuadrantBlobs.Classifier, new DeepFoolOptions { CandidateCount = 1 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new DeepFoolAttack(QuadrantBlobs.Classifier, new DeepFoolOptions { OvershootFraction = -0.1 }));
        Assert.Throws<ArgumentException>(() => new DeepFoolAttack(QuadrantBlobs.Classifier, new DeepFoolOptions { ClipMin = 1, ClipMax = 0 }));
    }
}
