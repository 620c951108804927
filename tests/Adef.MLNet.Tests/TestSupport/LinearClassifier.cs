using Adef.MLNet.Classifiers;

namespace Adef.MLNet.Tests.TestSupport;

/// <summary>
/// F(x) = W·x + b on the host spans: a classifier whose margin gradients are known in closed form,
/// ∇(F_t − F_c) = w_t − w_c with c the first maximal logit, for tests that redo an attack step by hand.
/// Logits are accumulated in double and rounded to float once; the cross-entropy gradient is the seam's default.
/// </summary>
internal sealed class LinearClassifier : IDifferentiableClassifier
{
    private readonly float[][] _weights;
    private readonly float[] _biases;

    /// <param name="shape">The input shape; each row of <paramref name="weights"/> has <c>shape.Size</c> values.</param>
    /// <param name="weights">One row w_k per class, laid out like an image (C×H×W).</param>
    /// <param name="biases">One bias per class.</param>
    public LinearClassifier(ImageShape shape, float[][] weights, float[] biases)
    {
        if (weights.Length != biases.Length || weights.Any(w => w.Length != shape.Size))
            throw new ArgumentException("Expected one weight row of the image's size and one bias per class.");
        InputShape = shape;
        _weights = weights;
        _biases = biases;
    }

    public ImageShape InputShape { get; }

    public int ClassCount => _biases.Length;

    /// <summary>The weight row w_k of class <paramref name="label"/> (not a copy).</summary>
    public ReadOnlySpan<float> Weights(int label) => _weights[label];

    /// <summary>F_k(x) in double, without the rounding to float of the seam.</summary>
    public double Logit(ReadOnlySpan<float> image, int label)
    {
        double sum = _biases[label];
        ReadOnlySpan<float> w = _weights[label];
        for (int p = 0; p < w.Length; p++) sum += (double)w[p] * image[p];
        return sum;
    }

    /// <summary>The first maximal logit's label, as the attacks define the current label.</summary>
    public int Label(ReadOnlySpan<float> image)
    {
        int best = 0;
        for (int k = 1; k < ClassCount; k++) if (Logit(image, k) > Logit(image, best)) best = k;
        return best;
    }

    public void ComputeLogits(ReadOnlySpan<float> images, int count, Span<float> logits)
    {
        int size = InputShape.Size, classes = ClassCount;
        for (int i = 0; i < count; i++)
            for (int k = 0; k < classes; k++)
                logits[i * classes + k] = (float)Logit(images.Slice(i * size, size), k);
    }

    public void ComputeLogitsAndMarginGradients(ReadOnlySpan<float> images, int count, ReadOnlySpan<int> targetLabels, int targetsPerImage,
        Span<float> logits, Span<float> gradients)
    {
        ComputeLogits(images, count, logits);
        int size = InputShape.Size, classes = ClassCount;
        for (int i = 0; i < count; i++)
        {
            ReadOnlySpan<float> row = logits.Slice(i * classes, classes);
            int current = 0;
            for (int k = 1; k < classes; k++) if (row[k] > row[current]) current = k;
            for (int j = 0; j < targetsPerImage; j++)
            {
                ReadOnlySpan<float> target = _weights[targetLabels[i * targetsPerImage + j]], reference = _weights[current];
                Span<float> gradient = gradients.Slice((i * targetsPerImage + j) * size, size);
                for (int p = 0; p < size; p++) gradient[p] = target[p] - reference[p];
            }
        }
    }
}
