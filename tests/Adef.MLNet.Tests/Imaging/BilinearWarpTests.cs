using Adef.MLNet.Imaging;

namespace Adef.MLNet.Tests.Imaging;

public class BilinearWarpTests
{
    private static float[] UniformField(int height, int width, float tauX, float tauY)
    {
        var field = new float[2 * height * width];
        field.AsSpan(0, height * width).Fill(tauX);
        field.AsSpan(height * width).Fill(tauY);
        return field;
    }

    [Fact]
    public void ZeroFieldReturnsImageBitExactly()
    {
        const int C = 3, H = 5, W = 7;
        float[] image = TestImages.Random(C * H * W, seed: 1, scale: 100f);
        // 1·a + 0·b would turn this −0 into +0, and would turn the infinity's neighbours into NaN.
        image[4] = -0f;
        image[5] = 2f;
        image[4 + W] = 3f;
        image[20] = float.PositiveInfinity;
        image[10] = 1e-40f; // subnormal
        image[C * H * W - 1] = float.MaxValue;
        var output = new float[image.Length];

        BilinearWarp.Apply(image, new float[2 * H * W], output, C, H, W);

        Assert.Equal(TestImages.Bits(image), TestImages.Bits(output));
    }

    [Fact]
    public void IntegerTranslationShiftsExactly()
    {
        const int C = 2, H = 4, W = 6;
        float[] image = TestImages.Random(C * H * W, seed: 2);
        var output = new float[image.Length];

        BilinearWarp.Apply(image, UniformField(H, W, tauX: 2f, tauY: -1f), output, C, H, W);

        for (int c = 0; c < C; c++)
            for (int y = 0; y < H; y++)
                for (int x = 0; x < W; x++)
                {
                    int sy = Math.Clamp(y - 1, 0, H - 1), sx = Math.Clamp(x + 2, 0, W - 1);
                    Assert.Equal(image[(c * H + sy) * W + sx], output[(c * H + y) * W + x]);
                }
    }

    [Fact]
    public void FractionalShiftInterpolatesLinearlyAndClampsAtRightBorder()
    {
        const int H = 3, W = 5;
        var ramp = new float[H * W];
        for (int y = 0; y < H; y++)
            for (int x = 0; x < W; x++)
                ramp[y * W + x] = x + 10 * y;
        var output = new float[ramp.Length];

        BilinearWarp.Apply(ramp, UniformField(H, W, tauX: 0.25f, tauY: 0f), output, 1, H, W);

        for (int y = 0; y < H; y++)
            for (int x = 0; x < W; x++)
                Assert.Equal(Math.Min(x + 0.25f, W - 1) + 10 * y, output[y * W + x], 5);
    }

    [Fact]
    public void FractionalFieldReproducesBilinearFunctionsAtClampedSamplePoints()
    {
        const int C = 2, H = 4, W = 5;
        static float F(int c, float x, float y) => c == 0 ? 1 + 2 * x + 3 * y + 0.5f * x * y : -4 + x - 2 * y - x * y;
        var image = new float[C * H * W];
        for (int c = 0; c < C; c++)
            for (int y = 0; y < H; y++)
                for (int x = 0; x < W; x++)
                    image[(c * H + y) * W + x] = F(c, x, y);
        float[] field = TestImages.Random(2 * H * W, seed: 3, scale: 1.7f);
        var output = new float[image.Length];

        BilinearWarp.Apply(image, field, output, C, H, W);

        for (int c = 0; c < C; c++)
            for (int y = 0; y < H; y++)
                for (int x = 0; x < W; x++)
                {
                    int p = y * W + x;
                    float sx = Math.Clamp(x + field[p], 0, W - 1), sy = Math.Clamp(y + field[H * W + p], 0, H - 1);
                    Assert.Equal(F(c, sx, sy), output[c * H * W + p], 4);
                }
    }

    [Fact]
    public void LengthMismatchThrowsArgumentExceptionNamingTheParameter()
    {
        const int C = 3, H = 4, W = 5;
        var image = new float[C * H * W];
        var field = new float[2 * H * W];
        var output = new float[C * H * W];

        var e = Assert.Throws<ArgumentException>("image", () => BilinearWarp.Apply(image[1..], field, output, C, H, W));
        Assert.Contains("Expected length 60", e.Message);
        Assert.Contains("got 59", e.Message);
        Assert.Throws<ArgumentException>("field", () => BilinearWarp.Apply(image, new float[H * W], output, C, H, W));
        Assert.Throws<ArgumentException>("output", () => BilinearWarp.Apply(image, field, new float[61], C, H, W));
    }
}
