using Adef.MLNet.Attacks;
using Adef.MLNet.Classifiers;
using Adef.MLNet.Imaging;
using Adef.MLNet.Tests.TestSupport;

namespace Adef.MLNet.Tests.Attacks;

/// <summary>ADef's step, its choice among candidates and its linearisation, checked by hand on linear classifiers.</summary>
public class AdefStepTests
{
    // Fails if AdefAttack.Step's scale is +f/‖·‖² (sign flipped), its denominator ‖α‖² instead of ‖Sα‖² or its direction S(α) instead of S(Sα) (σ > 0), or if HostOperations.ProjectOntoImageGradient swaps dx and dy.
    [Theory]
    [InlineData(0.0)]
    [InlineData(0.5)]
    [InlineData(1.0)]
    public void OneStepIsMinusTheMarginTimesTheSmoothedProjectionOverItsSquaredNorm(double sigma)
    {
        var shape = new ImageShape(2, 4, 5);
        var random = new Random(3);
        float[][] weights = Enumerable.Range(0, 3).Select(_ => Values(random, shape.Size, -1, 1)).ToArray();
        var classifier = new LinearClassifier(shape, weights, new float[] { 0.3f, -0.2f, 0.1f });
        float[] image = Values(random, shape.Size, 0, 1);

        AdefResult result = new AdefAttack(classifier, new AdefOptions { MaxIterations = 1, Sigma = sigma }).Run(image)[0];

        int runnerUp = Enumerable.Range(0, 3).OrderByDescending(k => classifier.Logit(image, k)).ElementAt(1);
        double[] expected = AdefByHand.Step(classifier, image, runnerUp, sigma > 0 ? GaussianSmoothing.Kernel(sigma) : null);
        Assert.Equal(1, result.Iterations);
        AssertClose(expected, result.VectorField, 1e-5);
        Assert.True(expected.Skip(shape.Height * shape.Width).Any(v => Math.Abs(v) > 1e-3), "the y-plane of the step should not vanish");
    }

    // Fails if AdefAttack.Step picks the candidate by ‖τ_k‖₂ (Ops.SquaredNorms(candidates, k)) instead of ‖τ_k‖_T (Ops.TNorms).
    [Fact]
    public void TheCandidateWithTheSmallestTNormWinsOverOneWithASmallerL2Norm()
    {
        // A ramp image, x(y, x) = x: dx = 1 and dy = 0 everywhere, so α_k = (w_k − w_0, 0). Candidate rank 1 (label 1) moves one
        // pixel by f₁/10 = 0.1; candidate rank 2 (label 2) moves all 20 pixels by f₂/20 = 0.075.
        var shape = new ImageShape(1, 4, 5);
        float[] image = Enumerable.Range(0, shape.Size).Select(p => (float)(p % 5)).ToArray();
        var concentrated = new float[shape.Size];
        concentrated[1 * 5 + 2] = 10;
        float[] spread = Enumerable.Repeat(1f, shape.Size).ToArray();
        var classifier = new LinearClassifier(shape, new[] { new float[shape.Size], concentrated, spread }, new[] { 0f, -21f, -41.5f });
        Assert.Equal(new[] { 0.0, -1.0, -1.5 }, Enumerable.Range(0, 3).Select(k => classifier.Logit(image, k)));

        double[] first = AdefByHand.Step(classifier, image, 1, null), second = AdefByHand.Step(classifier, image, 2, null);
        Assert.True(L2(first) < L2(second) && TNorm(second, shape) < TNorm(first, shape), "the premise: rank 1 is smaller in ℓ2, rank 2 in ‖·‖_T");

        AdefResult result = new AdefAttack(classifier, new AdefOptions { CandidateRanks = new[] { 1, 2 }, MaxIterations = 1 }).Run(image)[0];

        AssertClose(second, result.VectorField, 1e-6);
        Assert.Equal(0.075, result.TNorm, 1e-7);
    }

    // Fails if HostOperations.ProjectOntoImageGradient swaps dx and dy, or if AdefAttack.Step's scale is +f/‖α‖² (sign flipped).
    [Fact]
    public void TheLinearisationPredictsTheMarginChangeOfTheWarpedImage()
    {
        // α is read off the attack's own first step: τ₁ = −f·α/‖α‖² (σ = 0), so α = −f·τ₁/‖τ₁‖². For a smooth field τ that
        // vanishes on the border, d/dε (F_k − F_c)(x∘(id + ε·τ)) at ε = 0 must be Σ α·τ, the warp being the library's.
        var shape = new ImageShape(2, 6, 7);
        int plane = shape.Height * shape.Width;
        var image = new float[shape.Size];
        for (int c = 0; c < 2; c++)
            for (int y = 0; y < shape.Height; y++)
                for (int x = 0; x < shape.Width; x++)
                    image[c * plane + y * shape.Width + x] = (float)(Math.Sin(0.7 * x + 0.3 * y + c) + 0.5 * Math.Cos(0.4 * y - 0.2 * x * (c + 1)));
        var random = new Random(11);
        var classifier = new LinearClassifier(shape, Enumerable.Range(0, 3).Select(_ => Values(random, shape.Size, -1, 1)).ToArray(), new float[3]);
        int current = classifier.Label(image);
        int runnerUp = Enumerable.Range(0, 3).OrderByDescending(k => classifier.Logit(image, k)).ElementAt(1);
        double f = classifier.Logit(image, runnerUp) - classifier.Logit(image, current);

        float[] step = new AdefAttack(classifier, new AdefOptions { MaxIterations = 1 }).Run(image)[0].VectorField;
        double stepSquared = step.Sum(v => (double)v * v);
        double[] alpha = step.Select(v => -f * v / stepSquared).ToArray();

        var tau = new float[2 * plane];
        for (int y = 0; y < shape.Height; y++)
            for (int x = 0; x < shape.Width; x++)
            {
                double bump = Math.Sin(Math.PI * y / (shape.Height - 1)) * Math.Sin(Math.PI * x / (shape.Width - 1));
                tau[y * shape.Width + x] = (float)(bump * Math.Cos(0.5 * x - 0.3 * y));
                tau[plane + y * shape.Width + x] = (float)(bump * Math.Sin(0.4 * x + 0.6 * y + 1));
            }
        double predicted = alpha.Zip(tau, (a, t) => a * t).Sum();

        double Margin(double epsilon)
        {
            var warped = new float[shape.Size];
            BilinearWarp.Apply(image, tau.Select(t => (float)(epsilon * t)).ToArray(), warped, shape.Channels, shape.Height, shape.Width);
            return classifier.Logit(warped, runnerUp) - classifier.Logit(warped, current);
        }
        // Bilinear sampling is quadratic in ε within a cell, so the central difference is exactly linear in ε: one Richardson step removes that term.
        double Central(double epsilon) => (Margin(epsilon) - Margin(-epsilon)) / (2 * epsilon);
        double derivative = 2 * Central(0.05) - Central(0.1);

        Assert.True(Math.Abs(derivative) > 0.1, $"the margin's derivative {derivative} is too small to compare");
        Assert.Equal(derivative, predicted, 1e-4 * Math.Abs(derivative));
    }

    private static float[] Values(Random random, int count, double low, double high) =>
        Enumerable.Range(0, count).Select(_ => (float)(low + (high - low) * random.NextDouble())).ToArray();

    private static double L2(double[] field) => Math.Sqrt(field.Sum(v => v * v));

    private static double TNorm(double[] field, ImageShape shape)
    {
        int plane = shape.Height * shape.Width;
        return Enumerable.Range(0, plane).Max(p => Math.Sqrt(field[p] * field[p] + field[plane + p] * field[plane + p]));
    }

    /// <summary>Each value within <paramref name="relative"/> of the largest expected magnitude.</summary>
    private static void AssertClose(double[] expected, float[] actual, double relative)
    {
        Assert.Equal(expected.Length, actual.Length);
        double tolerance = relative * expected.Max(Math.Abs);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance, $"value {i}: expected {expected[i]}, got {actual[i]} (tolerance {tolerance})");
    }
}
