using Adef.MLNet.Attacks;
using Adef.MLNet.Tests.TestSupport;

namespace Adef.MLNet.Tests.Attacks;

/// <summary>
/// Which images the attacks send through backward passes: a check of an image's label comes before its gradients when
/// enough images are being fooled, so an image that is fooled costs no gradients.
/// </summary>
public class ClassifierWorkTests
{
    private static readonly float[] Images = QuadrantBlobs.Generate(40, seed: 77).Pixels;

    [Fact]
    public void DeepFoolComputesGradientsOnlyForTheStepsItTakes()
    {
        var classifier = new CountingClassifier(QuadrantBlobs.Classifier);
        DeepFoolResult[] results = new DeepFoolAttack(classifier, new DeepFoolOptions { BatchSize = 16 }).Run(Images);

        int k = QuadrantBlobs.Classifier.ClassCount - 1;
        Assert.All(results, r => Assert.Equal(AttackOutcome.Fooled, r.Outcome));
        // One gradient per target for each step taken; a combined call would add K for each image at the call that finds it fooled.
        Assert.Equal(k * results.Sum(r => (long)r.Iterations), classifier.BackwardImages);
        // Clean logits, then a label check after each step.
        Assert.Equal(40 + 2L * results.Sum(r => (long)r.Iterations), classifier.ForwardImages);
    }

    [Fact]
    public void AdefWithOneCandidateKeepsCombinedCallsWhileFewImagesAreFooled()
    {
        var classifier = new CountingClassifier(QuadrantBlobs.Classifier);
        var options = new AdefOptions { MaxIterations = 3, BatchSize = 40 };
        AdefResult[] results = new AdefAttack(classifier, options).Run(Images);

        // Each step's image is evaluated once with its gradient (no separate check), plus the clean logits.
        long evaluated = results.Sum(r => (long)Math.Min(r.Iterations + 1, options.MaxIterations + 1));
        Assert.Equal(40 + evaluated, classifier.ForwardImages);
    }

    [Fact]
    public void PgdNeverChecksBeforeItsLastStep()
    {
        var classifier = new CountingClassifier(QuadrantBlobs.Classifier);
        var options = new PgdOptions { Epsilon = 0.3, StepSize = 0.05, Steps = 5, BatchSize = 16 };
        PgdResult[] results = new PgdAttack(classifier, options).Run(Images);

        Assert.All(results, r => Assert.Equal(5, r.Iterations));
        Assert.Equal(40L * 5, classifier.BackwardImages);
        Assert.Equal(40L * (1 + 5 + 1), classifier.ForwardImages);
    }
}
