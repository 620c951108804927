using Adef.MLNet.Imaging;

namespace Adef.MLNet.Tests.Imaging;

public class ImageGradientTests
{
    [Fact]
    public void GradientOfLinearRampIsExactEverywhereIncludingBorders()
    {
        const int C = 2, H = 5, W = 7;
        float[] a = [0.5f, -3f], b = [-2f, 0.25f], c = [3f, 10f];
        var image = new float[C * H * W];
        for (int ch = 0; ch < C; ch++)
            for (int y = 0; y < H; y++)
                for (int x = 0; x < W; x++)
                    image[(ch * H + y) * W + x] = a[ch] * x + b[ch] * y + c[ch];
        var dx = new float[image.Length];
        var dy = new float[image.Length];

        ImageGradient.Compute(image, dx, dy, C, H, W);

        for (int ch = 0; ch < C; ch++)
        {
            Assert.All(dx.AsSpan(ch * H * W, H * W).ToArray(), v => Assert.Equal(a[ch], v));
            Assert.All(dy.AsSpan(ch * H * W, H * W).ToArray(), v => Assert.Equal(b[ch], v));
        }
    }

    [Fact]
    public void GradientMatchesNumpyGradientOnSmallExampleIncludingEdges()
    {
        // numpy.gradient(f) for f = [[1,2,4,7],[0,3,9,5],[2,2,8,1]]; channel 1 is 10·f + 100,
        // so leaking rows across the channel boundary would show.
        float[] f = [1, 2, 4, 7, 0, 3, 9, 5, 2, 2, 8, 1];
        float[] expectedDx = [1, 1.5f, 2.5f, 3, 3, 4.5f, 1, -4, 0, 3, -0.5f, -7];
        float[] expectedDy = [-1, 1, 5, -2, 0.5f, 0, 2, -3, 2, -1, -1, -4];
        float[] image = [.. f, .. f.Select(v => 10 * v + 100)];
        var dx = new float[image.Length];
        var dy = new float[image.Length];

        ImageGradient.Compute(image, dx, dy, channels: 2, height: 3, width: 4);

        Assert.Equal([.. expectedDx, .. expectedDx.Select(v => 10 * v)], dx);
        Assert.Equal([.. expectedDy, .. expectedDy.Select(v => 10 * v)], dy);
    }

    [Fact]
    public void SizeOneAxisHasZeroDerivative()
    {
        float[] row = [1, 4, 9];
        var dx = new float[3];
        var dy = Enumerable.Repeat(float.NaN, 3).ToArray();

        ImageGradient.Compute(row, dx, dy, channels: 1, height: 1, width: 3);

        Assert.Equal([3f, 4f, 5f], dx);
        Assert.Equal([0f, 0f, 0f], dy);
    }

    [Fact]
    public void LengthMismatchThrowsArgumentExceptionNamingTheParameter()
    {
        var image = new float[24];
        var e = Assert.Throws<ArgumentException>("dy", () => ImageGradient.Compute(image, new float[24], new float[23], 2, 3, 4));
        Assert.Contains("Expected length 24", e.Message);
        Assert.Contains("got 23", e.Message);
        Assert.Throws<ArgumentException>("image", () => ImageGradient.Compute(new float[25], new float[24], new float[24], 2, 3, 4));
    }
}
