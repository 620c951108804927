using Adef.MLNet.Attacks;
using Adef.MLNet.Classifiers;
using Adef.MLNet.Tests.TestSupport;

namespace Adef.MLNet.Tests.Attacks;

/// <summary>
/// Targeted ADef, DeepFool and PGD on the classifiers of <see cref="TargetLine"/>: label 2 is reachable only through label 1,
/// label 3 is unreachable. Success is the target's label, never a label passed on the way (docs/algorithms.md §3.8, §4.3, §5.3).
/// </summary>
public class TargetedAttackTests
{
    // DeepFool and PGD: four pixels at 0.5, s = Σ (x − 0.5).
    private static readonly ImageShape Pixels = new(1, 1, 4);
    private static readonly float[] Flat = [0.5f, 0.5f, 0.5f, 0.5f];
    private static readonly LinearClassifier Line = TargetLine.Classifier(Pixels, [1, 1, 1, 1], Flat);

    // ADef: a convex ramp x(p) = t + 2t², t = p/15, and s = 2·Σ x over all pixels but the last (which the warp cannot move
    // right), so sampling to the right raises s, a little faster than linearly: ADef's steps land just past the boundary
    // they aim at rather than creeping up to it.
    private static readonly ImageShape Row = new(1, 1, 16);
    private static readonly float[] Ramp = Enumerable.Range(0, 16).Select(p => (float)(p / 15.0 + 2 * (p / 15.0) * (p / 15.0))).ToArray();
    private static readonly LinearClassifier RampLine =
        TargetLine.Classifier(Row, Enumerable.Range(0, 16).Select(p => p < 15 ? 2f : 0f).ToArray(), Ramp);

    // Fails if the success rule counts any label change (AttackImageState.Reached returning label != OriginalLabel): ADef
    // then stops on label 1 after one step.
    [Fact]
    public void AdefReachesTheTargetThroughAnotherLabelWithoutStoppingThere()
    {
        AdefResult first = new AdefAttack(RampLine, new AdefOptions { MaxIterations = 1 }).Run(Ramp, targets: [2])[0];
        AdefResult result = new AdefAttack(RampLine, new AdefOptions { MaxIterations = 10 }).Run(Ramp, targets: [2])[0];

        Assert.Equal((AttackOutcome.MaxIterationsReached, 1, 1), (first.Outcome, first.AdversarialLabel, first.Iterations));
        Assert.False(first.Success);
        Assert.Equal((AttackOutcome.Fooled, 2, 2, 2), (result.Outcome, result.AdversarialLabel, result.Iterations, result.Target));
        Assert.False(result.Overshot);
        Assert.Equal(2, RampLine.Label(result.AdversarialImage));
    }

    // Fails if the targeted engine takes its targets by rank (the runner-up, label 1, instead of the given 2), or if the step
    // measures f against the original label rather than the current one.
    [Fact]
    public void AdefStepsAreTowardsTheTargetFromTheCurrentLabel()
    {
        AdefResult one = new AdefAttack(RampLine, new AdefOptions { MaxIterations = 1 }).Run(Ramp, targets: [2])[0];
        AdefResult two = new AdefAttack(RampLine, new AdefOptions { MaxIterations = 2 }).Run(Ramp, targets: [2])[0];

        // τ₁ = −(F₂ − F₀)·α/‖α‖² at the ramp (label 0), then τ₂ = τ₁ − (F₂ − F₁)·α'/‖α'‖² at the first image (label 1).
        AssertClose(AdefByHand.Step(RampLine, Ramp, 2, null), one.VectorField, 1e-5);
        Assert.Equal(1, RampLine.Label(one.AdversarialImage));
        double[] second = AdefByHand.Step(RampLine, one.AdversarialImage, 2, null);
        AssertClose(one.VectorField.Zip(second, (a, b) => a + b).ToArray(), two.VectorField, 1e-4);
    }

    // Fails if the success rule counts any label change: the image passes labels 1 and 2 and would count as fooled at once.
    [Fact]
    public void AdefNeverReachesAnUnreachableTargetAndTheOvershootDoesNotChangeThat()
    {
        AdefResult plain = new AdefAttack(RampLine, new AdefOptions { MaxIterations = 12 }).Run(Ramp, targets: [3])[0];
        AdefResult overshot = new AdefAttack(RampLine, new AdefOptions { MaxIterations = 12, OvershootFactor = 1.2 }).Run(Ramp, targets: [3])[0];

        foreach (AdefResult result in new[] { plain, overshot })
        {
            Assert.Equal(AttackOutcome.MaxIterationsReached, result.Outcome);
            Assert.False(result.Success);
            Assert.NotEqual(3, result.AdversarialLabel);
            Assert.NotEqual(0, result.AdversarialLabel); // it moved, through labels that are not the target
        }
        Assert.True(overshot.Overshot);
    }

    // The overshoot treats a targeted failure as an untargeted one: the field is scaled once, and the image succeeds when the
    // scaled field reaches the target. Fails if Conclude's re-check counts any label change, or skips targeted runs.
    [Fact]
    public void TheOvershootOfATargetedFailureSucceedsOnlyOnTheTarget()
    {
        var options = new AdefOptions { MaxIterations = 1, OvershootFactor = 1.4 };
        AdefResult reached = new AdefAttack(RampLine, options).Run(Ramp, targets: [2])[0];
        AdefResult passed = new AdefAttack(RampLine, options with { OvershootFactor = 1.1 }).Run(Ramp, targets: [2])[0];

        Assert.Equal((AttackOutcome.Fooled, 2, 1, true), (reached.Outcome, reached.AdversarialLabel, reached.Iterations, reached.Overshot));
        Assert.Equal((AttackOutcome.MaxIterationsReached, 1, true), (passed.Outcome, passed.AdversarialLabel, passed.Overshot));
    }

    // Fails if DeepFool's targeted step measures f against the original label (f = F₂ − F₀ at the second step), if it counts
    // any label change as success (it stops on label 1 after one step), or if it drops the 1e−4 or the overshoot fraction.
    [Theory]
    [InlineData(DeepFoolNorm.L2)]
    [InlineData(DeepFoolNorm.LInf)]
    public void DeepFoolReachesTheTargetThroughAnotherLabelWithoutStoppingThere(DeepFoolNorm norm)
    {
        var options = new DeepFoolOptions { Norm = norm };
        PerturbationResult first = new DeepFoolAttack(Line, options with { MaxIterations = 1 }).Run(Flat, targets: [2])[0];
        PerturbationResult result = new DeepFoolAttack(Line, options).Run(Flat, targets: [2])[0];

        Assert.Equal((AttackOutcome.MaxIterationsReached, 1), (first.Outcome, first.AdversarialLabel));
        AssertClose(DeepFoolByHand(Line, Flat, 2, 1, norm), first.Perturbation, 1e-5);
        Assert.Equal((AttackOutcome.Fooled, 2, 2, 2), (result.Outcome, result.AdversarialLabel, result.Iterations, result.Target));
        AssertClose(DeepFoolByHand(Line, Flat, 2, 2, norm), result.Perturbation, 1e-5);
    }

    // Fails if the success rule counts any label change (Fooled after one step, on label 1).
    [Fact]
    public void DeepFoolNeverReachesAnUnreachableTarget()
    {
        PerturbationResult result = new DeepFoolAttack(Line, new DeepFoolOptions { MaxIterations = 12 }).Run(Flat, targets: [3])[0];

        Assert.Equal((AttackOutcome.MaxIterationsReached, 12), (result.Outcome, result.Iterations));
        Assert.Contains(result.AdversarialLabel, new[] { 1, 2 });
    }

    // Fails if PGD's targeted step ascends the target's loss (x + α·sign ∇CE(t): the image stays on label 0), or if its
    // success rule counts any label change (3 steps end on label 1).
    [Fact]
    public void PgdReachesTheTargetThroughAnotherLabelAndOnlyTheFinalLabelCounts()
    {
        // Every pixel rises by α per step: s = 0.44 k after k steps, label 1 for k = 3 and 4, label 2 from k = 5.
        var options = new PgdOptions { Epsilon = 1, StepSize = 0.11, RandomStart = false, ClipMin = float.NegativeInfinity, ClipMax = float.PositiveInfinity };
        PerturbationResult three = new PgdAttack(Line, options with { Steps = 3 }).Run(Flat, targets: [2])[0];
        PerturbationResult five = new PgdAttack(Line, options with { Steps = 5 }).Run(Flat, targets: [2])[0];

        Assert.Equal((AttackOutcome.MaxIterationsReached, 1), (three.Outcome, three.AdversarialLabel));
        Assert.Equal((AttackOutcome.Fooled, 2, 2), (five.Outcome, five.AdversarialLabel, five.Target));
        Assert.All(three.Perturbation, v => Assert.Equal(0.33, v, 1e-6));
        Assert.All(five.Perturbation, v => Assert.Equal(0.55, v, 1e-6));
    }

    // Fails if the success rule counts any label change: PGD ends on label 1 or 2, never 3.
    [Fact]
    public void PgdNeverReachesAnUnreachableTarget()
    {
        var options = new PgdOptions { Epsilon = 1, StepSize = 0.05, Steps = 30, RandomStart = false, ClipMin = float.NegativeInfinity, ClipMax = float.PositiveInfinity };
        PerturbationResult result = new PgdAttack(Line, options).Run(Flat, targets: [3])[0];

        Assert.Equal(AttackOutcome.MaxIterationsReached, result.Outcome);
        Assert.Contains(result.AdversarialLabel, new[] { 1, 2 });
    }

    // Fails if a target equal to the clean label is attacked (PGD would take its steps, DeepFool and ADef stall on a zero
    // gradient) instead of succeeding unchanged at admission.
    [Fact]
    public void ATargetEqualToTheCleanLabelSucceedsAtOnceWithTheImageUnchanged()
    {
        AttackResult[] results =
        [
            new AdefAttack(RampLine).Run(Ramp, targets: [0])[0],
            new DeepFoolAttack(Line).Run(Flat, targets: [0])[0],
            new PgdAttack(Line, new PgdOptions { ClipMin = float.NegativeInfinity, ClipMax = float.PositiveInfinity }).Run(Flat, targets: [0])[0],
        ];

        Assert.All(results, r => Assert.Equal((AttackOutcome.Fooled, 0, 0, 0), (r.Outcome, r.Iterations, r.AdversarialLabel, r.Target)));
        Assert.Equal(Ramp, results[0].AdversarialImage);
        Assert.Equal(Flat, results[1].AdversarialImage);
        Assert.Equal(Flat, results[2].AdversarialImage);
    }

    /// <summary>
    /// DeepFool towards <paramref name="target"/> for <paramref name="steps"/> steps, in double from docs/algorithms.md §4.3:
    /// w = ∇(F_t − F_c), f = F_t − F_c at the current label c, r += (|f| + 1e−4)/‖w‖₂²·w (ℓ2) or (|f| + 1e−4)/‖w‖₁·sign(w) (ℓ∞),
    /// x = x₀ + 1.02·r; returns x − x₀.
    /// </summary>
    private static double[] DeepFoolByHand(LinearClassifier classifier, float[] image, int target, int steps, DeepFoolNorm norm)
    {
        var r = new double[image.Length];
        float[] x = image.ToArray();
        for (int i = 0; i < steps; i++)
        {
            int current = classifier.Label(x);
            double f = classifier.Logit(x, target) - classifier.Logit(x, current);
            double[] w = Enumerable.Range(0, x.Length).Select(p => (double)classifier.Weights(target)[p] - classifier.Weights(current)[p]).ToArray();
            bool l2 = norm == DeepFoolNorm.L2;
            double scale = (Math.Abs(f) + 1e-4) / (l2 ? w.Sum(v => v * v) : w.Sum(Math.Abs));
            for (int p = 0; p < x.Length; p++) r[p] += scale * (l2 ? w[p] : Math.Sign(w[p]));
            x = image.Select((v, p) => (float)(v + 1.02 * r[p])).ToArray();
        }
        return x.Select((v, p) => (double)v - image[p]).ToArray();
    }

    private static void AssertClose(double[] expected, float[] actual, double relative)
    {
        Assert.Equal(expected.Length, actual.Length);
        double scale = expected.Max(Math.Abs);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= relative * scale, $"value {i}: expected {expected[i]:R}, got {actual[i]:R}");
    }
}
