using Adef.Experiments;
using Adef.MLNet.Attacks;
using Adef.MLNet.Tests.TestSupport;
using Adef.Samples;

namespace Adef.MLNet.Tests.Attacks;

/// <summary>
/// Which images the attacks send through forward and backward passes (counted by the samples' timed classifier): a check of an image's label comes before its
/// gradients when enough images are being fooled, so an image that is fooled costs no gradients; an image's admission
/// also computes its first gradients when its targets are ranks of its clean logits.
/// </summary>
public class ClassifierWorkTests
{
    private static readonly float[] Images = QuadrantBlobs.Generate(40, seed: 77).Pixels;

    [Theory]
    [InlineData(AttackExecution.Host)]
    [InlineData(AttackExecution.ClassifierDevice)]
    public void DeepFoolComputesGradientsOnlyForTheStepsItTakes(AttackExecution execution)
    {
        var classifier = new TimedClassifier(QuadrantBlobs.Classifier);
        PerturbationResult[] results = new DeepFoolAttack(classifier, new DeepFoolOptions { BatchSize = 16, Execution = execution }).Run(Images);

        int k = QuadrantBlobs.Classifier.ClassCount - 1;
        Assert.All(results, r => Assert.Equal(AttackOutcome.Fooled, r.Outcome));
        // One gradient per target for each step taken; a combined call would add K for each image at the call that finds it fooled.
        Assert.Equal(k * results.Sum(r => (long)r.Iterations), classifier.BackwardImages);
        // The clean image with its first gradients, then after each step a label check and, unless fooled, the next gradients.
        Assert.Equal(2L * results.Sum(r => (long)r.Iterations), classifier.ForwardImages);
    }

    [Fact]
    public void AdefWithOneCandidateKeepsCombinedCallsWhileFewImagesAreFooled()
    {
        var classifier = new TimedClassifier(QuadrantBlobs.Classifier);
        var options = new AdefOptions { MaxIterations = 3, BatchSize = 40 };
        AdefResult[] results = new AdefAttack(classifier, options).Run(Images);

        // The clean image with its first gradients, then each step's image once, with its gradients (no separate check).
        long evaluated = results.Sum(r => (long)Math.Min(r.Iterations + 1, options.MaxIterations + 1));
        Assert.Equal(evaluated, classifier.ForwardImages);
    }

    [Fact]
    public void AdmissionWithTheFirstGradientsChangesNoResult()
    {
        var onePass = QuadrantBlobs.Classifier;
        var twoCalls = new MarginsOnlyClassifier(onePass);
        foreach (int batchSize in new[] { 40, 7 })
        {
            var adef = AdefOptions.Mnist with { CandidateRanks = new[] { 1, 2, 3 }, BatchSize = batchSize };
            AssertSameResults(new AdefAttack(twoCalls, adef).Run(Images), new AdefAttack(onePass, adef).Run(Images));
            var deepFool = new DeepFoolOptions { BatchSize = batchSize };
            AssertSameResults(new DeepFoolAttack(twoCalls, deepFool).Run(Images), new DeepFoolAttack(onePass, deepFool).Run(Images));
        }
    }

    private static void AssertSameResults(AttackResult[] expected, AttackResult[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i].Outcome, actual[i].Outcome);
            Assert.Equal(expected[i].Iterations, actual[i].Iterations);
            Assert.Equal(expected[i].AdversarialLabel, actual[i].AdversarialLabel);
            Assert.Equal(expected[i].AdversarialImage, actual[i].AdversarialImage);
        }
    }

    [Fact]
    public void PgdNeverChecksBeforeItsLastStep()
    {
        var classifier = new TimedClassifier(QuadrantBlobs.Classifier);
        var options = new PgdOptions { Epsilon = 0.3, StepSize = 0.05, Steps = 5, BatchSize = 16 };
        PerturbationResult[] results = new PgdAttack(classifier, options).Run(Images);

        Assert.All(results, r => Assert.Equal(5, r.Iterations));
        Assert.Equal(40L * 5, classifier.BackwardImages);
        Assert.Equal(40L * (1 + 5 + 1), classifier.ForwardImages);
    }
}
