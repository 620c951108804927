using Adef.MLNet.Imaging;

namespace Adef.MLNet.Tests.Imaging;

public class GaussianSmoothingTests
{
    private static double Gaussian(double t, double sigma) => Math.Exp(-t * t / (2 * sigma * sigma));

    private static float[] Smooth(float[] planes, int planeCount, int height, int width, float[] kernel)
    {
        var output = new float[planes.Length];
        GaussianSmoothing.Apply(planes, output, planeCount, height, width, kernel, new float[height * width]);
        return output;
    }

    [Theory]
    [InlineData(0.5, 5)]
    [InlineData(1.0, 9)]
    [InlineData(2.3, 19)]
    public void KernelHasSizeFormulaSumsToOneAndMatchesClosedForm(double sigma, int expectedSize)
    {
        float[] kernel = GaussianSmoothing.Kernel(sigma);

        Assert.Equal(expectedSize, kernel.Length);
        Assert.Equal(1.0, kernel.Sum(v => (double)v), 1e-6);
        int radius = (expectedSize - 1) / 2;
        double total = Enumerable.Range(-radius, expectedSize).Sum(t => Gaussian(t, sigma));
        for (int k = 0; k < expectedSize; k++)
            Assert.Equal(Gaussian(k - radius, sigma) / total, kernel[k], 1e-7);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(-1.0)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void KernelRejectsSigmaThatIsNotPositiveAndFinite(double sigma) =>
        Assert.Throws<ArgumentOutOfRangeException>("sigma", () => GaussianSmoothing.Kernel(sigma));

    [Fact]
    public void ImpulseInMiddleReproducesKernelOuterProduct()
    {
        const int H = 9, W = 11;
        float[] kernel = GaussianSmoothing.Kernel(1.0); // radius 4
        var impulse = new float[H * W];
        impulse[4 * W + 5] = 1;

        float[] output = Smooth(impulse, 1, H, W, kernel);

        for (int y = 0; y < H; y++)
            for (int x = 0; x < W; x++)
            {
                int ky = y - 4 + 4, kx = x - 5 + 4;
                float expected = kx is >= 0 and < 9 ? kernel[ky] * kernel[kx] : 0f;
                Assert.Equal(expected, output[y * W + x], 1e-8f);
            }
    }

    [Fact]
    public void ImpulseAtCornerLosesMassAsZeroPaddingPredicts()
    {
        const int H = 8, W = 8;
        const double sigma = 1.5; // radius 6
        float[] kernel = GaussianSmoothing.Kernel(sigma);
        int radius = kernel.Length / 2;
        var impulse = new float[H * W];
        impulse[0] = 1;

        float[] output = Smooth(impulse, 1, H, W, kernel);

        // Only the taps at offsets 0..radius land inside, in each direction.
        double inside = Enumerable.Range(0, radius + 1).Sum(t => Gaussian(t, sigma))
                      / Enumerable.Range(-radius, 2 * radius + 1).Sum(t => Gaussian(t, sigma));
        Assert.Equal(inside * inside, output.Sum(v => (double)v), 1e-6);
        Assert.True(inside * inside < 0.5); // over half the mass is padded away
        for (int y = 0; y < H; y++)
            for (int x = 0; x < W; x++)
            {
                float expected = y <= radius && x <= radius ? kernel[radius + y] * kernel[radius + x] : 0f;
                Assert.Equal(expected, output[y * W + x], 1e-8f);
            }
    }

    [Fact]
    public void MatchesDirectZeroPaddedConvolutionEvenWhenKernelIsWiderThanImage()
    {
        const int P = 2, H = 4, W = 6;
        float[] kernel = GaussianSmoothing.Kernel(2.0); // radius 8
        int radius = kernel.Length / 2;
        float[] planes = TestImages.Random(P * H * W, seed: 7);

        float[] output = Smooth(planes, P, H, W, kernel);

        for (int p = 0; p < P; p++)
            for (int y = 0; y < H; y++)
                for (int x = 0; x < W; x++)
                {
                    double expected = 0;
                    for (int v = 0; v < H; v++)
                        for (int u = 0; u < W; u++)
                            if (Math.Abs(v - y) <= radius && Math.Abs(u - x) <= radius)
                                expected += (double)kernel[radius + v - y] * kernel[radius + u - x] * planes[(p * H + v) * W + u];
                    Assert.Equal(expected, output[(p * H + y) * W + x], 1e-6);
                }
    }

    [Fact]
    public void SmoothingIsSelfAdjoint()
    {
        const int P = 2, H = 7, W = 10;
        float[] kernel = GaussianSmoothing.Kernel(1.3);
        float[] a = TestImages.Random(P * H * W, seed: 8);
        float[] b = TestImages.Random(P * H * W, seed: 9);

        double left = Dot(Smooth(a, P, H, W, kernel), b);
        double right = Dot(a, Smooth(b, P, H, W, kernel));

        Assert.Equal(left, right, 1e-5 * Math.Abs(left));
    }

    [Fact]
    public void OutputMayBeTheInputItself()
    {
        const int P = 2, H = 5, W = 6;
        float[] kernel = GaussianSmoothing.Kernel(0.8);
        float[] planes = TestImages.Random(P * H * W, seed: 10);
        float[] expected = Smooth(planes, P, H, W, kernel);

        GaussianSmoothing.Apply(planes, planes, P, H, W, kernel, new float[GaussianSmoothing.ScratchLength(H, W)]);

        Assert.Equal(TestImages.Bits(expected), TestImages.Bits(planes));
    }

    [Fact]
    public void LengthMismatchThrowsArgumentExceptionNamingTheParameter()
    {
        float[] kernel = GaussianSmoothing.Kernel(1.0);
        var planes = new float[2 * 3 * 4];
        var output = new float[planes.Length];
        var scratch = new float[12];

        var e = Assert.Throws<ArgumentException>("output", () => GaussianSmoothing.Apply(planes, new float[23], 2, 3, 4, kernel, scratch));
        Assert.Contains("Expected length 24", e.Message);
        Assert.Contains("got 23", e.Message);
        Assert.Throws<ArgumentException>("planes", () => GaussianSmoothing.Apply(new float[12], output, 2, 3, 4, kernel, scratch));
        Assert.Throws<ArgumentException>("scratch", () => GaussianSmoothing.Apply(planes, output, 2, 3, 4, kernel, new float[11]));
        Assert.Throws<ArgumentException>("kernel", () => GaussianSmoothing.Apply(planes, output, 2, 3, 4, new float[4], scratch));
    }

    private static double Dot(float[] a, float[] b) => a.Zip(b, (x, y) => (double)x * y).Sum();
}
