using Adef.MLNet.Attacks;
using Adef.MLNet.Classifiers;
using Adef.MLNet.Tests.TestSupport;

namespace Adef.MLNet.Tests.Attacks;

/// <summary>
/// PGD's steps on a two-class linear classifier that labels the image 0: ∇ₓ CE(F(x), 0) = p₁·(w₁ − w₀), so every step is
/// x ← clip(Π_ε(x + α·sign(w₁ − w₀))) with the signs below, whatever the softmax.
/// </summary>
public class PgdStepTests
{
    private static readonly ImageShape Shape = new(1, 2, 3);

    /// <summary>Pixel 1 is pushed over 1 and pixel 2 under 0 by the first step; pixel 3 has no gradient.</summary>
    private static readonly float[] Image = { 0.5f, 0.995f, 0.003f, 0.2f, 0.7f, 0.4f };

    private static readonly int[] Signs = { 1, 1, -1, 0, -1, 1 };

    private static readonly LinearClassifier Classifier = new(Shape,
        new[] { new float[] { 0.1f, -0.2f, 0.3f, 0.25f, 0.4f, -0.1f }, new float[] { 0.6f, 0.3f, -0.2f, 0.25f, -0.3f, 0.5f } },
        new[] { 1f, 0f });

    // Fails if PgdAttack.Step steps along the raw gradient (signOnly: false) or clips with the ball only (no clamp to [ClipMin, ClipMax]).
    [Fact]
    public void OneStepIsTheSignStepClippedToTheValidRange()
    {
        Assert.Equal(0, Classifier.Label(Image));
        for (int p = 0; p < Image.Length; p++)
            Assert.Equal(Signs[p], Math.Sign((double)Classifier.Weights(1)[p] - Classifier.Weights(0)[p]));

        PerturbationResult result = new PgdAttack(Classifier, new PgdOptions { RandomStart = false, Steps = 1, StepSize = 0.01, Epsilon = 0.3 }).Run(Image)[0];

        double[] expected = Image.Select((x, p) => Math.Clamp(x + 0.01 * Signs[p], 0, 1)).ToArray();
        Assert.Equal(1, result.Iterations);
        AssertImage(expected, result.AdversarialImage);
        Assert.Equal(1f, result.AdversarialImage[1]);
        Assert.Equal(0f, result.AdversarialImage[2]);
        Assert.Equal(Image[3], result.AdversarialImage[3]);
    }

    // Fails if PgdAttack.Step skips the projection onto the ε ball (Ops.ProjectOntoBall with ε = ∞).
    [Fact]
    public void TheSecondStepIsProjectedBackOntoTheEpsilonBall()
    {
        PerturbationResult result = new PgdAttack(Classifier, new PgdOptions { RandomStart = false, Steps = 2, StepSize = 0.01, Epsilon = 0.015 }).Run(Image)[0];

        double[] expected = Image.Select((x, p) =>
        {
            double first = Math.Clamp(x + 0.01 * Signs[p], 0, 1);
            return Math.Clamp(Math.Clamp(first + 0.01 * Signs[p], x - 0.015, x + 0.015), 0, 1);
        }).ToArray();
        Assert.Equal(2, result.Iterations);
        AssertImage(expected, result.AdversarialImage);
        Assert.True(result.PixelLInf <= 0.015 + 1e-6, $"moved {result.PixelLInf} > ε");
        Assert.Equal(0.515, result.AdversarialImage[0], 1e-6); // two steps of 0.01 would reach 0.52
    }

    private static void AssertImage(double[] expected, float[] actual)
    {
        for (int p = 0; p < expected.Length; p++)
            Assert.True(Math.Abs(expected[p] - actual[p]) <= 1e-6, $"pixel {p}: expected {expected[p]:R}, got {actual[p]:R}");
    }
}
