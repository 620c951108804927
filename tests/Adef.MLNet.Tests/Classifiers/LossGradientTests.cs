using Adef.MLNet.Classifiers;
using Adef.MLNet.Classifiers.Onnx;
using Adef.MLNet.Classifiers.TorchSharp;
using Adef.MLNet.Tests.Onnx;
using Adef.MLNet.Tests.TestSupport;
using Google.Protobuf;
using TorchSharp;
using static TorchSharp.torch;

namespace Adef.MLNet.Tests.Classifiers;

/// <summary>The cross-entropy input gradient of the seam: its default (margin-gradient) form and TorchSharp's override.</summary>
public class LossGradientTests
{
    [Fact]
    public void DefaultImplementationThroughOnnxMatchesCentralFiniteDifferences()
    {
        using var classifier = new OnnxClassifier(TinyModels.Classifier(batch: "N").ToByteArray());
        const int count = 4, size = TinyModels.ImageSize, classes = TinyModels.Classes;
        float[] images = TinyModels.RandomImages(count, seed: 11);
        int[] labels = { 0, 3, 1, 2 };
        var logits = new float[count * classes];
        var gradients = new float[count * size];
        ((IDifferentiableClassifier)classifier).ComputeLogitsAndLossGradients(images, count, labels, logits, gradients);

        for (int i = 0; i < count; i++)
        {
            float[] image = images.AsSpan(i * size, size).ToArray();
            Assert.Equal(TinyModels.ExpectedLogits(image), logits.AsSpan(i * classes, classes).ToArray(), new FloatTolerance(1e-5f));
            for (int p = 0; p < size; p++)
            {
                double CrossEntropy(double delta)
                {
                    float[] moved = (float[])image.Clone();
                    moved[p] += (float)delta;
                    return CrossEntropyOf(TinyModels.ExpectedLogits(moved), labels[i]);
                }
                const double h = 1e-2;
                double numeric = (CrossEntropy(h) - CrossEntropy(-h)) / (2 * h);
                Assert.True(Math.Abs(numeric - gradients[i * size + p]) <= 2e-3 * Math.Max(1, Math.Abs(numeric)),
                    $"image {i}, pixel {p}: numeric {numeric}, default path {gradients[i * size + p]}");
            }
        }
    }

    [Fact]
    public void TorchSharpOverrideMatchesCentralFiniteDifferences()
    {
        TorchSharpClassifier classifier = Float64Network(seed: 3, classes: 5);
        const int count = 3, size = 40, classes = 5;
        var random = new Random(2);
        float[] images = Enumerable.Range(0, count * size).Select(_ => (float)random.NextDouble()).ToArray();
        int[] labels = { 4, 0, 2 };
        var logits = new float[count * classes];
        var gradients = new float[count * size];
        classifier.ComputeLogitsAndLossGradients(images, count, labels, logits, gradients);

        for (int i = 0; i < count; i++)
            for (int p = 0; p < size; p++)
            {
                double CrossEntropy(float delta)
                {
                    float[] image = images.AsSpan(i * size, size).ToArray();
                    image[p] += delta;
                    var l = new float[classes];
                    classifier.ComputeLogits(image, 1, l);
                    return CrossEntropyOf(l, labels[i]);
                }
                const float h = 1e-2f;
                double numeric = (CrossEntropy(h) - CrossEntropy(-h)) / (2 * h);
                Assert.True(Math.Abs(numeric - gradients[i * size + p]) <= 2e-3 * Math.Max(1, Math.Abs(numeric)),
                    $"image {i}, pixel {p}: numeric {numeric}, autograd {gradients[i * size + p]}");
            }
    }

    [Theory]
    [InlineData(LossGradients.MaxGradientValuesPerCall)] // all 11 other labels in one call
    [InlineData(1)]                                       // one label per call
    [InlineData(200)]                                     // chunks of 2 labels for 3 images of 40 values, the last one short
    public void TorchSharpOverrideAndDefaultPathAgreeWhateverTheChunking(long maxValuesPerCall)
    {
        TorchSharpClassifier classifier = Float64Network(seed: 8, classes: 12);
        const int count = 3, size = 40, classes = 12;
        var random = new Random(4);
        float[] images = Enumerable.Range(0, count * size).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
        int[] labels = { 11, 0, 5 };
        var logits = new float[count * classes];
        var overridden = new float[count * size];
        classifier.ComputeLogitsAndLossGradients(images, count, labels, logits, overridden);
        var defaultLogits = new float[count * classes];
        var byMargins = new float[count * size];
        LossGradients.FromMarginGradients(classifier, images, count, labels, defaultLogits, byMargins, maxValuesPerCall);

        Assert.Equal(logits, defaultLogits);
        Assert.True(overridden.Any(g => Math.Abs(g) > 1e-3), "the gradients are all about zero, so the comparison would prove nothing");
        for (int p = 0; p < overridden.Length; p++)
            Assert.True(Math.Abs(overridden[p] - byMargins[p]) <= 1e-5f + 1e-4f * Math.Abs(overridden[p]),
                $"value {p}: one backward pass {overridden[p]}, margin gradients {byMargins[p]}");
    }

    [Fact]
    public void AClassifierWithoutTheOverrideGetsTheDefaultThroughTheInterface()
    {
        var inner = Float64Network(seed: 5, classes: 4);
        IDifferentiableClassifier marginsOnly = new MarginsOnlyClassifier(inner);
        float[] images = Enumerable.Range(0, 2 * 40).Select(i => MathF.Sin(i)).ToArray();
        int[] labels = { 1, 3 };
        var expected = new float[80];
        var actual = new float[80];
        inner.ComputeLogitsAndLossGradients(images, 2, labels, new float[8], expected);
        marginsOnly.ComputeLogitsAndLossGradients(images, 2, labels, new float[8], actual);
        for (int p = 0; p < 80; p++) Assert.True(Math.Abs(expected[p] - actual[p]) <= 1e-5f + 1e-4f * Math.Abs(expected[p]));
    }

    [Fact]
    public void WrongLengthsAndLabelsAreRejected()
    {
        IDifferentiableClassifier tiny = QuadrantBlobs.Classifier;
        IDifferentiableClassifier marginsOnly = new MarginsOnlyClassifier(QuadrantBlobs.Classifier);
        foreach (IDifferentiableClassifier classifier in new[] { tiny, marginsOnly })
        {
            Assert.Throws<ArgumentException>(() => classifier.ComputeLogitsAndLossGradients(new float[144], 1, new[] { 0, 1 }, new float[4], new float[144]));
            Assert.Throws<ArgumentOutOfRangeException>(() => classifier.ComputeLogitsAndLossGradients(new float[144], 1, new[] { 4 }, new float[4], new float[144]));
            Assert.Throws<ArgumentOutOfRangeException>(() => classifier.ComputeLogitsAndLossGradients(new float[144], 1, new[] { -1 }, new float[4], new float[144]));
            Assert.Throws<ArgumentException>(() => classifier.ComputeLogitsAndLossGradients(new float[144], 1, new[] { 0 }, new float[4], new float[143]));
        }
    }

    [Fact]
    public void TheOverrideLeavesNoGradientOnTheParameters()
    {
        manual_seed(6);
        var network = nn.Sequential(nn.Flatten(), nn.Linear(144, 4));
        using var classifier = new TorchSharpClassifier(network, QuadrantBlobs.Shape, 4);
        classifier.ComputeLogitsAndLossGradients(QuadrantBlobs.Generate(3, seed: 2).Pixels, 3, new[] { 0, 1, 2 }, new float[12], new float[3 * 144]);
        Assert.All(network.parameters(), p => Assert.True(p.grad is null || p.grad.abs().max().item<float>() == 0));
    }

    private static double CrossEntropyOf(IReadOnlyList<float> logits, int label)
    {
        double max = logits.Max();
        double sum = logits.Sum(l => Math.Exp(l - max));
        return -(logits[label] - max - Math.Log(sum));
    }

    private static TorchSharpClassifier Float64Network(int seed, int classes)
    {
        manual_seed(seed);
        var network = nn.Sequential(nn.Conv2d(2, 16, 3, padding: 1), nn.Tanh(), nn.Flatten(), nn.Linear(16 * 5 * 4, classes));
        network.to(float64);
        return new TorchSharpClassifier(new Float32ToFloat64(network), new ImageShape(2, 5, 4), classes);
    }

    /// <summary>Runs a float64 network on float32 inputs so finite differences are accurate.</summary>
    private sealed class Float32ToFloat64(nn.Module<Tensor, Tensor> inner) : nn.Module<Tensor, Tensor>("Float32ToFloat64")
    {
        private readonly nn.Module<Tensor, Tensor> _inner = inner;

        public override Tensor forward(Tensor input) => _inner.forward(input.to(float64)).to(float32);
    }

    private sealed class FloatTolerance(float tolerance) : IEqualityComparer<float>
    {
        public bool Equals(float x, float y) => Math.Abs(x - y) <= tolerance * Math.Max(1, Math.Abs(x));
        public int GetHashCode(float value) => 0;
    }
}
