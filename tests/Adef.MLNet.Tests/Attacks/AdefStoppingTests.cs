using Adef.MLNet.Attacks;
using Adef.MLNet.Classifiers;
using Adef.MLNet.Tests.TestSupport;

namespace Adef.MLNet.Tests.Attacks;

/// <summary>
/// ADef's stopping rules, reported iterations and overshoot on trajectories worked out by hand. The classifier's margin
/// F₁ − F₀ = x(1, 1) − 2.75 reads one pixel p of a 1×3×5 image whose three rows are equal, so only τx(p) ever moves
/// (dy(p) = 0, its neighbours are never warped), dx(p) = ½(x(1, 2) − x(1, 0)) stays fixed, and every number below is exact.
/// </summary>
public class AdefStoppingTests
{
    private static readonly ImageShape Shape = new(1, 3, 5);
    private const int Pixel = 1 * 5 + 1, Plane = 15;

    private static readonly LinearClassifier Classifier = new(Shape, new[] { new float[Shape.Size], OnePixel() }, new[] { 0f, -2.75f });

    /// <summary>
    /// Row [0, 1.5, 2, 2.5, 6.5]: dx(p) = 1, f₀ = −1.25. The linearisation undershoots on [2, 3] (slope ½) and overshoots on
    /// [3, 4] (slope 4): τx(p) = 1.25 (margin −0.625), 1.875 (−0.3125), 2.1875 (+0.5, fooled clearly) at steps 1, 2, 3.
    /// </summary>
    private static readonly float[] ThreeSteps = Rows(0, 1.5f, 2, 2.5f, 6.5f);

    /// <summary>Ramp [1.25, …, 5.25]: f₀ = −0.5, τx(p) = 0.5 lands exactly on the tie, where label 0 (the first maximum) stays; step 2 is 0.</summary>
    private static readonly float[] TieThenStall = Rows(1.25f, 2.25f, 3.25f, 4.25f, 5.25f);

    /// <summary>Ramp [2.25, …, 6.25]: label 1 with margin 0.5; τx(p) = −0.5 lands on the tie, where label 0 wins: a success on a tie.</summary>
    private static readonly float[] TieSuccess = Rows(2.25f, 3.25f, 4.25f, 5.25f, 6.25f);

    // Fails if BatchedAttack.Judge reports state.Iteration + 1 for a fooled image.
    [Fact]
    public void ASuccessReportsTheStepThatFooled()
    {
        AdefResult result = new AdefAttack(Classifier).Run(ThreeSteps)[0];

        Assert.Equal(AttackOutcome.Fooled, result.Outcome);
        Assert.Equal(3, result.Iterations);
        Assert.Equal(1, result.AdversarialLabel);
        AssertField(2.1875, result.VectorField);
    }

    // Fails if BatchedAttack.Judge tests the iteration limit before success (a success at the last allowed step would read MaxIterationsReached).
    [Fact]
    public void TheLimitReportsTheLimitAndASuccessAtTheLastAllowedStepStillCounts()
    {
        AdefResult limited = new AdefAttack(Classifier, new AdefOptions { MaxIterations = 2 }).Run(ThreeSteps)[0];
        AdefResult justEnough = new AdefAttack(Classifier, new AdefOptions { MaxIterations = 3 }).Run(ThreeSteps)[0];

        Assert.Equal(AttackOutcome.MaxIterationsReached, limited.Outcome);
        Assert.Equal(2, limited.Iterations);
        Assert.Equal(0, limited.AdversarialLabel);
        AssertField(1.875, limited.VectorField);
        Assert.Equal(AttackOutcome.Fooled, justEnough.Outcome);
        Assert.Equal(3, justEnough.Iterations);
    }

    // Fails if AdefAttack.Step reports state.Iteration + 1 when the step reaches the budget.
    [Fact]
    public void ABudgetStopReportsOneLessThanTheStepThatReachedItAndKeepsTheLastField()
    {
        AdefResult result = new AdefAttack(Classifier, new AdefOptions { MaxNorm = 2 }).Run(ThreeSteps)[0];

        Assert.Equal(AttackOutcome.BudgetExceeded, result.Outcome);
        Assert.Equal(2, result.Iterations); // step 3 would reach ‖τ‖_T = 2.1875 ≥ 2
        AssertField(1.875, result.VectorField);
        Assert.Equal(1.875, result.TNorm);
    }

    // Fails if AdefAttack.Step reports state.Iteration + 1 at a stall, or drops the | ‖τ_k*‖_T − ‖τ‖_T | ≤ 1e−10 test (the unchanged field then runs to the limit).
    [Fact]
    public void AStallReportsOneLessThanTheStepThatDidNotMove()
    {
        AdefResult result = new AdefAttack(Classifier).Run(TieThenStall)[0];

        Assert.Equal(AttackOutcome.Stalled, result.Outcome);
        Assert.Equal(1, result.Iterations);
        Assert.Equal(0, result.AdversarialLabel);
        AssertField(0.5, result.VectorField);
    }

    // Fails if AdefAttack.Step reports state.Iteration + 1 at a stall (here 1 instead of 0).
    [Fact]
    public void AConstantImageStallsAtOnceAndComesBackBitForBit()
    {
        var random = new Random(5);
        var classifier = new LinearClassifier(Shape,
            Enumerable.Range(0, 3).Select(_ => Enumerable.Range(0, Shape.Size).Select(_ => (float)random.NextDouble() - 0.5f).ToArray()).ToArray(),
            new[] { 0.1f, 0.2f, 0.3f });
        float[] image = Enumerable.Repeat(0.37f, Shape.Size).ToArray();

        AdefResult result = new AdefAttack(classifier, new AdefOptions { CandidateRanks = new[] { 1, 2 }, Sigma = 0.5, OvershootFactor = 1.2 }).Run(image)[0];

        Assert.Equal(AttackOutcome.Stalled, result.Outcome);
        Assert.Equal(0, result.Iterations);
        Assert.Equal(image.Select(BitConverter.SingleToInt32Bits), result.AdversarialImage.Select(BitConverter.SingleToInt32Bits));
        Assert.All(result.VectorField, v => Assert.Equal(0, BitConverter.SingleToInt32Bits(v)));
        Assert.Equal(0, result.TNorm);
        Assert.Equal(result.OriginalLabel, result.AdversarialLabel);
        Assert.False(result.Overshot);
    }

    // Fails if AdefAttack.NeedsFinalCheck overshoots every success (returns true), or only failures (drops `|| tie`).
    [Fact]
    public void OvershootScalesTieSuccessesAndFailuresButNotClearSuccesses()
    {
        var options = new AdefOptions { OvershootFactor = 1.5 };
        AdefResult[] results = new AdefAttack(Classifier, options).Run(ThreeSteps.Concat(TieSuccess).Concat(TieThenStall).ToArray());
        AdefResult limited = new AdefAttack(Classifier, options with { MaxIterations = 2 }).Run(ThreeSteps)[0];

        // A clear success (final margin 0.5) keeps its field.
        Assert.Equal(AttackOutcome.Fooled, results[0].Outcome);
        Assert.False(results[0].Overshot);
        AssertField(2.1875, results[0].VectorField);
        // A success on a tie (margin 0): τ ← 1.5·τ, still fooled.
        Assert.Equal(AttackOutcome.Fooled, results[1].Outcome);
        Assert.True(results[1].Overshot);
        Assert.Equal(1, results[1].Iterations);
        AssertField(1.5 * -0.5, results[1].VectorField);
        // A stall: τ ← 1.5·τ, which crosses the boundary (margin +0.25); the reported iterations are the stall's.
        Assert.Equal(AttackOutcome.Fooled, results[2].Outcome);
        Assert.True(results[2].Overshot);
        Assert.Equal(1, results[2].Iterations);
        AssertField(1.5 * 0.5, results[2].VectorField);
        Assert.Equal(1, results[2].AdversarialLabel);
        // The iteration limit: τ ← 1.5·1.875.
        Assert.Equal(AttackOutcome.Fooled, limited.Outcome);
        Assert.True(limited.Overshot);
        Assert.Equal(2, limited.Iterations);
        AssertField(1.5 * 1.875, limited.VectorField);
    }

    // Fails if AdefAttack.PrepareFinalChecks does not shrink a scaled field that reaches the budget (‖τ‖_T = 2 = MaxNorm), or its factor is max(MaxNorm/‖τ‖_T, 1), not capped at Overshoot.
    [Fact]
    public void OvershootOfAFailureIsClampedToStayStrictlyWithinTheBudget()
    {
        var options = new AdefOptions { OvershootFactor = 1.5, MaxNorm = 2 };
        AdefResult[] results = new AdefAttack(Classifier, options).Run(ThreeSteps.Concat(TieThenStall).ToArray());

        // Budget stop at ‖τ‖_T = 1.875: the factor is clamped from 1.5 to 2/1.875, then shrunk until ‖τ‖_T < 2.
        Assert.Equal(AttackOutcome.BudgetExceeded, results[0].Outcome);
        Assert.True(results[0].Overshot);
        Assert.Equal(2, results[0].Iterations);
        Assert.True(results[0].TNorm < 2, $"‖τ‖_T = {results[0].TNorm:R} reaches the budget");
        Assert.True(results[0].TNorm > 2 * (1 - 1e-6), $"‖τ‖_T = {results[0].TNorm:R}: the factor was not clamped to the budget");
        AssertField(results[0].TNorm, results[0].VectorField);
        // The stall's factor 1.5 stays within the budget (0.75 < 2): not clamped.
        Assert.True(results[1].Overshot);
        AssertField(0.75, results[1].VectorField);
    }

    /// <summary>The field moves only pixel p along x, by <paramref name="tauX"/>.</summary>
    private static void AssertField(double tauX, float[] field)
    {
        Assert.Equal(2 * Plane, field.Length);
        for (int i = 0; i < field.Length; i++)
            Assert.True(Math.Abs(field[i] - (i == Pixel ? tauX : 0)) <= 1e-6, $"τ[{i}] = {field[i]:R}, expected {(i == Pixel ? tauX : 0)}");
    }

    private static float[] OnePixel()
    {
        var weights = new float[Shape.Size];
        weights[Pixel] = 1;
        return weights;
    }

    private static float[] Rows(params float[] row) => Enumerable.Repeat(row, Shape.Height).SelectMany(r => r).ToArray();
}
