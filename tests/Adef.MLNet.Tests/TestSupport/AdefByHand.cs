using Adef.MLNet.Classifiers;

namespace Adef.MLNet.Tests.TestSupport;

/// <summary>
/// One ADef step written out from docs/algorithms.md in double, sharing no code with the library's kernels: numpy.gradient,
/// α = (Σ_ch g·dx, Σ_ch g·dy), the zero-padded separable smoothing and the step −f·S(Sα)/‖Sα‖² (σ &gt; 0) or −f·α/‖α‖².
/// </summary>
internal static class AdefByHand
{
    /// <summary>The step of candidate <paramref name="target"/> at <paramref name="image"/> for a linear classifier, 2×H×W.</summary>
    /// <param name="kernel">The smoothing weights, or null for σ = 0.</param>
    public static double[] Step(LinearClassifier classifier, float[] image, int target, float[]? kernel)
    {
        int current = classifier.Label(image);
        double f = classifier.Logit(image, target) - classifier.Logit(image, current);
        double[] alpha = Alpha(classifier, image, target, current);
        ImageShape shape = classifier.InputShape;
        double[] direction = alpha, normed = alpha;
        if (kernel is not null)
        {
            normed = Smooth(alpha, 2, shape.Height, shape.Width, kernel);
            direction = Smooth(normed, 2, shape.Height, shape.Width, kernel);
        }
        double squared = normed.Sum(v => v * v);
        return direction.Select(v => -f * v / squared).ToArray();
    }

    /// <summary>α = (Σ_ch g·dx, Σ_ch g·dy) with g = w_target − w_current, 2×H×W.</summary>
    public static double[] Alpha(LinearClassifier classifier, float[] image, int target, int current)
    {
        ImageShape shape = classifier.InputShape;
        int plane = shape.Height * shape.Width;
        var (dx, dy) = NumpyGradient(image, shape);
        ReadOnlySpan<float> wt = classifier.Weights(target), wc = classifier.Weights(current);
        var alpha = new double[2 * plane];
        for (int c = 0; c < shape.Channels; c++)
            for (int p = 0; p < plane; p++)
            {
                double g = (double)wt[c * plane + p] - wc[c * plane + p];
                alpha[p] += g * dx[c * plane + p];
                alpha[plane + p] += g * dy[c * plane + p];
            }
        return alpha;
    }

    /// <summary>numpy.gradient with unit spacing per channel: d/dx along columns, d/dy along rows.</summary>
    public static (double[] Dx, double[] Dy) NumpyGradient(float[] image, ImageShape shape)
    {
        int h = shape.Height, w = shape.Width;
        var dx = new double[image.Length];
        var dy = new double[image.Length];
        for (int c = 0; c < shape.Channels; c++)
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++)
                {
                    double At(int yy, int xx) => image[(c * h + yy) * w + xx];
                    int i = (c * h + y) * w + x;
                    dx[i] = w == 1 ? 0 : x == 0 ? At(y, 1) - At(y, 0) : x == w - 1 ? At(y, x) - At(y, x - 1) : 0.5 * (At(y, x + 1) - At(y, x - 1));
                    dy[i] = h == 1 ? 0 : y == 0 ? At(1, x) - At(0, x) : y == h - 1 ? At(y, x) - At(y - 1, x) : 0.5 * (At(y + 1, x) - At(y - 1, x));
                }
        return (dx, dy);
    }

    /// <summary>Each H×W plane convolved with the kernel along rows, then columns, values outside the plane taken as 0.</summary>
    public static double[] Smooth(double[] planes, int count, int h, int w, float[] kernel)
    {
        int r = kernel.Length / 2;
        var rows = new double[planes.Length];
        var result = new double[planes.Length];
        for (int p = 0; p < count; p++)
        {
            int o = p * h * w;
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++)
                    for (int k = 0; k < kernel.Length; k++)
                        if (x + k - r is var xx && xx >= 0 && xx < w) rows[o + y * w + x] += kernel[k] * planes[o + y * w + xx];
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++)
                    for (int k = 0; k < kernel.Length; k++)
                        if (y + k - r is var yy && yy >= 0 && yy < h) result[o + y * w + x] += kernel[k] * rows[o + yy * w + x];
        }
        return result;
    }
}
