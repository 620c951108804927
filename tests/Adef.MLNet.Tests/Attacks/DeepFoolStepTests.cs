using Adef.MLNet.Attacks;
using Adef.MLNet.Classifiers;
using Adef.MLNet.Tests.TestSupport;

namespace Adef.MLNet.Tests.Attacks;

/// <summary>DeepFool's step on a linear classifier, redone by hand from docs/algorithms.md.</summary>
public class DeepFoolStepTests
{
    // Fails if DeepFoolAttack drops the 1e−4 (Epsilon = 0), divides the ℓ∞ step by ‖w‖₂ instead of ‖w‖₁, or applies r with factor 1 instead of 1 + Overshoot.
    [Theory]
    [InlineData(DeepFoolNorm.L2)]
    [InlineData(DeepFoolNorm.LInf)]
    public void OneStepIsTheOvershotLinearisedDistanceToTheNearestBoundary(DeepFoolNorm norm)
    {
        // Margins f₁ = −0.01 and f₂ = −0.02 are small, so the 1e−4 moves the step by ½ to 1 %; w₂ − w₀ is ten times w₁ − w₀,
        // so label 2, the third, is the nearer boundary in both norms.
        var shape = new ImageShape(2, 3, 4);
        var random = new Random(17);
        float[] image = Values(random, shape.Size, 0, 1);
        float[] w0 = Values(random, shape.Size, -1, 1);
        float[] d1 = Values(random, shape.Size, -0.1, 0.1), d2 = Values(random, shape.Size, -1, 1);
        float[] w1 = w0.Zip(d1, (a, b) => a + b).ToArray(), w2 = w0.Zip(d2, (a, b) => a + b).ToArray();
        double Dot(float[] w) => w.Zip(image, (a, b) => (double)a * b).Sum();
        var classifier = new LinearClassifier(shape, new[] { w0, w1, w2 },
            new[] { (float)(0.5 - Dot(w0)), (float)(0.49 - Dot(w1)), (float)(0.48 - Dot(w2)) });

        var options = new DeepFoolOptions { Norm = norm, MaxIterations = 1 };
        PerturbationResult result = new DeepFoolAttack(classifier, options).Run(image)[0];

        bool l2 = norm == DeepFoolNorm.L2;
        double best = double.PositiveInfinity;
        double[] expected = Array.Empty<double>();
        int chosen = -1;
        for (int k = 1; k < 3; k++)
        {
            double f = classifier.Logit(image, k) - classifier.Logit(image, 0);
            double[] w = Enumerable.Range(0, shape.Size).Select(p => (double)classifier.Weights(k)[p] - classifier.Weights(0)[p]).ToArray();
            double size = l2 ? Math.Sqrt(w.Sum(v => v * v)) : w.Sum(Math.Abs);
            if (Math.Abs(f) / size >= best) continue;
            (best, chosen) = (Math.Abs(f) / size, k);
            double scale = (Math.Abs(f) + 1e-4) / (l2 ? size * size : size);
            expected = w.Select(v => (1 + 0.02) * scale * (l2 ? v : Math.Sign(v))).ToArray();
        }
        Assert.Equal(2, chosen);

        Assert.Equal(0.02, options.OvershootFraction);
        Assert.Equal(AttackOutcome.Fooled, result.Outcome);
        Assert.Equal(1, result.Iterations);
        Assert.Equal(2, result.AdversarialLabel);
        for (int p = 0; p < shape.Size; p++)
            Assert.True(Math.Abs(result.Perturbation[p] - expected[p]) <= 1e-5 * Math.Abs(expected[p]) + 2e-7,
                $"pixel {p}: expected {expected[p]:R}, got {result.Perturbation[p]:R}");
    }

    private static float[] Values(Random random, int count, double low, double high) =>
        Enumerable.Range(0, count).Select(_ => (float)(low + (high - low) * random.NextDouble())).ToArray();
}
