using System.Numerics.Tensors;
using Adef.MLNet.Classifiers;

namespace Adef.Benchmarks.Kernels;

/// <summary>
/// F(x) = W·x + b on host spans with seeded random weights: the cheapest model the attack seam admits, so that an
/// attack's time over it is mostly the engine's. Its margin gradients are weight-row differences, w_t − w_c with c the
/// first maximal logit; the seam's defaults supply the ranked-target and loss-gradient calls.
/// </summary>
internal sealed class HostLinearClassifier : IDifferentiableClassifier
{
    private readonly float[][] _weights;
    private readonly float[] _biases;

    public HostLinearClassifier(ImageShape shape, int classes, int seed)
    {
        var random = new Random(seed);
        // Scaled by 1/√size so logits of images in [0, 1] stay of order one whatever the image size.
        float scale = 1 / MathF.Sqrt(shape.Size);
        _weights = Enumerable.Range(0, classes)
            .Select(_ => Enumerable.Range(0, shape.Size).Select(_ => (2 * random.NextSingle() - 1) * scale).ToArray())
            .ToArray();
        _biases = Enumerable.Range(0, classes).Select(_ => 0.1f * (2 * random.NextSingle() - 1)).ToArray();
        InputShape = shape;
    }

    public ImageShape InputShape { get; }

    public int ClassCount => _biases.Length;

    public void ComputeLogits(ReadOnlySpan<float> images, int count, Span<float> logits)
    {
        int size = InputShape.Size;
        for (int i = 0; i < count; i++)
            for (int k = 0; k < _biases.Length; k++)
                logits[i * _biases.Length + k] = TensorPrimitives.Dot(_weights[k], images.Slice(i * size, size)) + _biases[k];
    }

    public void ComputeLogitsAndMarginGradients(ReadOnlySpan<float> images, int count, ReadOnlySpan<int> targetLabels, int targetsPerImage,
        Span<float> logits, Span<float> gradients)
    {
        ComputeLogits(images, count, logits);
        int size = InputShape.Size, classes = _biases.Length;
        for (int i = 0; i < count; i++)
        {
            int current = TensorPrimitives.IndexOfMax(logits.Slice(i * classes, classes));
            for (int j = 0; j < targetsPerImage; j++)
                TensorPrimitives.Subtract(_weights[targetLabels[i * targetsPerImage + j]], _weights[current],
                    gradients.Slice((i * targetsPerImage + j) * size, size));
        }
    }
}
