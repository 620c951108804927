using Adef.Experiments;
using Adef.MLNet.Attacks;
using Adef.MLNet.Classifiers;
using Adef.MLNet.Tests.TestSupport;

namespace Adef.MLNet.Tests.Attacks;

/// <summary>
/// The targets argument of the attacks: its checks, the same results through both Run forms and both execution paths, and
/// an admission that takes the first step from the given targets.
/// </summary>
public class TargetInputTests
{
    private static readonly float[] Images = QuadrantBlobs.Generate(24, seed: 41).Pixels;

    /// <summary>A target per image that is not its clean label: the next quadrant.</summary>
    private static readonly int[] Targets = Predictions(Images).Select(label => (label + 1) % 4).ToArray();

    public static TheoryData<string> Attacks => new() { "adef", "deepfool", "pgd" };

    /// <summary>Runs <paramref name="attack"/>, through the streaming form when <paramref name="onResult"/> is given (then returning none).</summary>
    private static AttackResult[] Run(string attack, float[] images, IReadOnlyList<int>? labels, IReadOnlyList<int>? targets,
        AttackExecution execution = AttackExecution.Host, Action<AttackResult>? onResult = null)
    {
        IDifferentiableClassifier classifier = QuadrantBlobs.Classifier;
        switch (attack)
        {
            case "adef":
                var adef = new AdefAttack(classifier, new AdefOptions { MaxIterations = 20, OvershootFactor = 1.2, Execution = execution });
                if (onResult is null) return adef.Run(images, labels, targets);
                adef.Run(images, onResult, labels, targets);
                break;
            case "deepfool":
                var deepFool = new DeepFoolAttack(classifier, new DeepFoolOptions { Execution = execution });
                if (onResult is null) return deepFool.Run(images, labels, targets);
                deepFool.Run(images, onResult, labels, targets);
                break;
            default:
                var pgd = new PgdAttack(classifier, new PgdOptions { Steps = 10, StepSize = 0.05, Execution = execution });
                if (onResult is null) return pgd.Run(images, labels, targets);
                pgd.Run(images, onResult, labels, targets);
                break;
        }
        return [];
    }

    [Theory]
    [MemberData(nameof(Attacks))]
    public void TargetsMustBeOneClassPerImageOtherThanTheTrueLabel(string attack)
    {
        float[] two = Images.AsSpan(0, 2 * 144).ToArray();
        var count = Assert.Throws<ArgumentException>(() => Run(attack, two, null, [1]));
        var low = Assert.Throws<ArgumentOutOfRangeException>(() => Run(attack, two, null, [1, -1]));
        var high = Assert.Throws<ArgumentOutOfRangeException>(() => Run(attack, two, null, [4, 1]));
        var truth = Assert.Throws<ArgumentException>(() => Run(attack, two, [2, 3], [1, 3]));

        Assert.All(new ArgumentException[] { count, low, high, truth }, e => Assert.Equal("targets", e.ParamName));
        Assert.Contains("Got 1 targets for 2 images", count.Message);
        Assert.Contains("image 1 is -1", low.Message);
        Assert.Contains("image 0 is 4", high.Message);
        Assert.Contains("image 1 is its true label 3", truth.Message);
    }

    [Fact]
    public void RankTargetedAndTargetsExcludeEachOther()
    {
        var attack = new AdefAttack(QuadrantBlobs.Classifier, new AdefOptions { RankTargeted = true });
        var error = Assert.Throws<ArgumentException>(() => attack.Run(Images.AsMemory(0, 144), targets: [1]));
        Assert.Equal("targets", error.ParamName);
        Assert.Throws<ArgumentException>(() => attack.Run(Images.AsMemory(0, 144), _ => { }, targets: [1]));
    }

    [Theory]
    [MemberData(nameof(Attacks))]
    public void TheStreamingFormGivesTheSameTargetedResults(string attack)
    {
        AttackResult[] expected = Run(attack, Images, null, Targets);
        var streamed = new AttackResult[expected.Length];
        Run(attack, Images, null, Targets, onResult: r => streamed[r.Index] = r);

        Assert.True(expected.Count(r => r.Success) >= 5, "the comparison needs targets that are reached");
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.Equal((expected[i].Outcome, expected[i].AdversarialLabel, expected[i].Iterations, Targets[i]),
                (streamed[i].Outcome, streamed[i].AdversarialLabel, streamed[i].Iterations, streamed[i].Target!.Value));
            if (expected[i].Success) Assert.Equal(Targets[i], expected[i].AdversarialLabel);
        }
    }

    // Fails if the torch operations' Evaluate drops or misplaces the logits it is asked for at admission (allLogits), which a
    // targeted run reads its clean labels from.
    [Theory]
    [MemberData(nameof(Attacks))]
    public void TargetedRunsOverTorchOpsAgreeWithHostSpans(string attack)
    {
        AttackResult[] host = Run(attack, Images, null, Targets);
        AttackResult[] torch = Run(attack, Images, null, Targets, AttackExecution.ClassifierDevice);

        int same = Enumerable.Range(0, host.Length).Count(i => host[i].Outcome == torch[i].Outcome && host[i].AdversarialLabel == torch[i].AdversarialLabel);
        Assert.True(same >= host.Length - 1, $"{host.Length - same} of {host.Length} images differ"); // rounding may move one crossing
        Assert.Equal(host.Select(r => r.OriginalLabel), torch.Select(r => r.OriginalLabel));
    }

    // Fails if a targeted run admits images with their logits alone (one more forward pass per image), or chooses their
    // first targets by rank (whose gradients then go unused: the first step waits for the next call).
    [Theory]
    [InlineData("adef")]
    [InlineData("deepfool")]
    public void TheAdmissionOfATargetedRunTakesTheFirstStepFromTheGivenTargets(string attack)
    {
        var classifier = new TimedClassifier(QuadrantBlobs.Classifier);
        AttackResult[] results = attack == "adef"
            ? new AdefAttack(classifier, new AdefOptions { MaxIterations = 1 }).Run(Images, targets: Targets)
            : new DeepFoolAttack(classifier, new DeepFoolOptions { MaxIterations = 1 }).Run(Images, targets: Targets);

        int n = results.Length;
        Assert.All(results, r => Assert.Equal(1, r.Iterations));
        Assert.Equal(n, classifier.BackwardImages); // one target per image
        Assert.Equal(2L * n, classifier.ForwardImages); // the clean image with its first gradients, then the label after the step
    }

    private static int[] Predictions(float[] images)
    {
        int n = images.Length / 144;
        var logits = new float[n * 4];
        QuadrantBlobs.Classifier.ComputeLogits(images, n, logits);
        return Enumerable.Range(0, n).Select(i => Array.IndexOf(logits, logits.AsSpan(i * 4, 4).ToArray().Max(), i * 4) - i * 4).ToArray();
    }
}
