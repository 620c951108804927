using Adef.MLNet.Attacks;
using Adef.MLNet.Attacks.Operations;
using Adef.MLNet.Imaging;
using Adef.MLNet.Tests.TestSupport;

namespace Adef.MLNet.Tests.Attacks.Operations;

/// <summary>Each torch operation (on the CPU) against the host span operation it replaces.</summary>
public class TorchOperationsTests
{
    private const int Count = 5;
    private static readonly Adef.MLNet.Classifiers.ImageShape Shape = RandomNetworks.Rgb;

    [Fact]
    public void WarpEqualsTheHostWarpAndIsExactForZeroAndIntegerFields()
    {
        using var classifier = RandomNetworks.RgbClassifier(3);
        using var host = new HostOperations(classifier);
        using var torch = new TorchOperations(classifier, allowTf32: false);
        float[] images = RandomNetworks.Images(Count, Shape, 1);
        float[] fields = Values(Count * 2 * 100, seed: 2, scale: 4);
        for (int p = 0; p < 200; p++) fields[p] = 0;                  // image 0: zero field
        for (int p = 200; p < 400; p++) fields[p] = MathF.Round(fields[p]); // image 1: integer field (some beyond the border)

        using IRows hostWarped = host.Warp(host.Upload(images, Count, 3), host.Upload(fields, Count, 2));
        using IRows torchWarped = torch.Warp(torch.Upload(images, Count, 3), torch.Upload(fields, Count, 2));
        float[] expected = host.Download(hostWarped), actual = torch.Download(torchWarped);

        Assert.Equal(images.AsSpan(0, 300).ToArray(), actual.AsSpan(0, 300).ToArray());
        Assert.Equal(expected.AsSpan(0, 600).ToArray(), actual.AsSpan(0, 600).ToArray());
        AssertClose(expected, actual, 1e-6);
    }

    [Fact]
    public void ImageGradientProjectionSmoothingAndNormsEqualTheHostKernels()
    {
        using var classifier = RandomNetworks.RgbClassifier(3);
        using var host = new HostOperations(classifier);
        using var torch = new TorchOperations(classifier, allowTf32: false);
        float[] images = RandomNetworks.Images(Count, Shape, 4);
        float[] gradients = Values(Count * 2 * 300, seed: 5, scale: 1); // K = 2 gradients per image
        float[] kernel = GaussianSmoothing.Kernel(1);

        float[][] Run(AttackOperations ops)
        {
            using IRows x = ops.Upload(images, Count, 3), g = ops.Upload(gradients, Count, 6);
            var (dx, dy) = ops.ImageGradient(x);
            using (dx)
            using (dy)
            using (IRows alpha = ops.ProjectOntoImageGradient(g, dx, dy))
            using (IRows smoothed = ops.Smooth(alpha, kernel))
            {
                return new[]
                {
                    ops.Download(dx), ops.Download(dy), ops.Download(alpha), ops.Download(smoothed),
                    ops.SquaredNorms(smoothed, 2).Select(v => (float)v).ToArray(),
                    ops.TNorms(smoothed, 2).Select(v => (float)v).ToArray(),
                    ops.L1Norms(g, 2).Select(v => (float)v).ToArray(),
                };
            }
        }

        float[][] expected = Run(host), actual = Run(torch);
        Assert.Equal(expected[0], actual[0]); // image derivatives: same differences, exactly
        Assert.Equal(expected[1], actual[1]);
        for (int i = 2; i < expected.Length; i++) AssertClose(expected[i], actual[i], 1e-5);
    }

    [Fact]
    public void RowOperationsEqualTheHostOnes()
    {
        using var classifier = RandomNetworks.RgbClassifier(3);
        using var host = new HostOperations(classifier);
        using var torch = new TorchOperations(classifier, allowTf32: false);
        float[] baseRows = Values(Count * 200, seed: 6, scale: 1), directions = Values(Count * 3 * 200, seed: 7, scale: 1);
        float[] scales = Values(Count * 3, seed: 8, scale: 2), perRow = Values(Count, seed: 9, scale: 2);
        double[] factors = { 1.2, 1.1, 1, 0.5, 3 };

        float[][] Run(AttackOperations ops)
        {
            using IRows b = ops.Upload(baseRows, Count, 2), d = ops.Upload(directions, Count, 6);
            using IRows added = ops.AddScaled(b, d, scales);
            using IRows picked = ops.SelectBlocks(added, 3, new[] { 4, 0, 2 }, new[] { 1, 2, 0 });
            using IRows scaled = ops.Scale(b, factors);
            using IRows target = ops.Gather(b, new[] { 0, 1, 2, 3, 4 });
            using IRows signs = ops.SelectBlocks(d, 3, new[] { 0, 1, 2, 3, 4 }, new[] { 0, 0, 1, 1, 2 });
            ops.AddScaledInPlace(target, signs, perRow, signOnly: true);
            using IRows clamped = ops.AddScaledClamped(b, scaled, 1.02f, new ValueBounds([-0.5f, -0.5f], [0.5f, 0.5f]));
            using IRows joined = ops.Concat(picked, scaled);
            using (IRows replacement = ops.Gather(b, new[] { 3, 4 })) ops.Scatter(joined, new[] { 7, 1 }, replacement);
            return new[] { ops.Download(added), ops.Download(picked), ops.Download(scaled), ops.Download(target), ops.Download(clamped), ops.Download(joined) };
        }

        float[][] expected = Run(host), actual = Run(torch);
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], actual[i]);
    }

    // Fails if either backend clamps every channel to channel 0's bounds, or skips a bound.
    [Fact]
    public void PerChannelClampingEqualsTheHostsAndKeepsEachChannelInItsBounds()
    {
        using var classifier = RandomNetworks.RgbClassifier(3);
        using var host = new HostOperations(classifier);
        using var torch = new TorchOperations(classifier, allowTf32: false);
        int size = classifier.InputShape.Size, plane = size / 3;
        float[] images = Values(Count * size, seed: 12, scale: 3), noise = Values(Count * size, seed: 13, scale: 3);
        var bounds = new ValueBounds([-2.1f, float.NegativeInfinity, 0.5f], [-0.2f, 1.5f, float.PositiveInfinity]);

        float[][] Run(AttackOperations ops)
        {
            using IRows x = ops.Upload(images, Count, 3), r = ops.Upload(noise, Count, 3);
            using IRows added = ops.AddScaledClamped(x, r, 1.5f, bounds);
            using IRows projected = ops.ProjectOntoBall(r, x, 0.7f, bounds);
            return new[] { ops.Download(added), ops.Download(projected) };
        }

        float[][] expected = Run(host), actual = Run(torch);
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], actual[i]);
        for (int p = 0; p < expected[0].Length; p++)
        {
            int c = p % size / plane;
            Assert.Equal(Math.Clamp(images[p] + 1.5f * noise[p], bounds.Min[c], bounds.Max[c]), expected[0][p]);
            Assert.Equal(Math.Clamp(Math.Clamp(noise[p], images[p] - 0.7f, images[p] + 0.7f), bounds.Min[c], bounds.Max[c]), expected[1][p]);
        }
    }

    [Fact]
    public void EvaluationReportsLabelsGapsTargetLogitsAndNonFiniteRows()
    {
        using var host = new HostOperations(QuadrantBlobs.Classifier);
        using var torch = new TorchOperations(QuadrantBlobs.Classifier, allowTf32: false);
        float[] images = QuadrantBlobs.Generate(6, seed: 11).Pixels;
        images[3 * 144 + 7] = float.NaN; // image 3's logits become NaN
        int[] targets = { 1, 2, 0, 3, 3, 0, 1, 2, 2, 1, 0, 3 };
        int[] references = { 0, 1, 2, 3, 0, 1 };

        ClassifierEvaluation Run(AttackOperations ops)
        {
            using IRows x = ops.Upload(images, 6, 1);
            return ops.Evaluate(x, targets, 2, references);
        }

        using ClassifierEvaluation expected = Run(host), actual = Run(torch);
        Assert.Equal(new[] { true, true, true, false, true, true }, expected.Finite);
        Assert.Equal(expected.Finite, actual.Finite);
        int[] finite = Enumerable.Range(0, 6).Where(i => expected.Finite[i]).ToArray();
        Assert.Equal(finite.Select(i => expected.Labels[i]), finite.Select(i => actual.Labels[i]));
        AssertClose(finite.Select(i => expected.TopTwoGaps[i]).ToArray(), finite.Select(i => actual.TopTwoGaps[i]).ToArray(), 1e-5);
        AssertClose(finite.SelectMany(i => new[] { expected.TargetLogits[2 * i], expected.TargetLogits[2 * i + 1], expected.LabelLogits[i], expected.ReferenceLogits[i] }).ToArray(),
            finite.SelectMany(i => new[] { actual.TargetLogits[2 * i], actual.TargetLogits[2 * i + 1], actual.LabelLogits[i], actual.ReferenceLogits[i] }).ToArray(), 1e-5);
        float[] hostGradients = host.Download(expected.Gradients!), torchGradients = torch.Download(actual.Gradients!);
        foreach (int i in finite)
            AssertClose(hostGradients.AsSpan(i * 288, 288).ToArray(), torchGradients.AsSpan(i * 288, 288).ToArray(), 1e-5);
    }

    internal static void AssertClose(float[] expected, float[] actual, double relative)
    {
        Assert.Equal(expected.Length, actual.Length);
        double scale = expected.Length == 0 ? 0 : expected.Max(v => Math.Abs((double)v));
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= relative * Math.Max(scale, 1e-30),
                $"value {i}: expected {expected[i]}, got {actual[i]} (tolerance {relative} of {scale})");
    }

    private static float[] Values(int count, int seed, float scale)
    {
        var random = new Random(seed);
        var values = new float[count];
        for (int i = 0; i < count; i++) values[i] = (float)((random.NextDouble() * 2 - 1) * scale);
        return values;
    }
}
