using Adef.Experiments;
using Adef.MLNet.Classifiers;
using Adef.MLNet.Classifiers.Onnx;
using Adef.MLNet.Attacks;
using Adef.MLNet.Data;

namespace Adef.MLNet.Tests.Onnx;

/// <summary>Pretrained models from ../shared/data/models (see its README); skipped where that folder is absent.</summary>
public class OnnxZooModelTests
{
    private const string MnistZoo = "mnist-zoo/mnist_batchN.onnx";
    private const string MnistZooBatchOne = "mnist-zoo/mnist.onnx";
    private const string SqueezeNet = "squeezenet1.1/squeezenet1.1_fp32_batchN_logits.onnx";
    private const string MobileNetV2 = "mobilenetv2/mobilenetv2-12-int8_dequantized_fp32.onnx";

    /// <summary>The first <paramref name="count"/> MNIST test digits scaled to 0–255, as the zoo model expects.</summary>
    private static (float[] Pixels, int[] Labels) ZooDigits(int count)
    {
        LabeledImages test = Mnist.LoadTest().Take(count);
        return (test.Pixels.Select(p => p * 255f).ToArray(), test.Labels);
    }

    private static int[] Predictions(IDifferentiableClassifier classifier, float[] images, int count)
    {
        var logits = new float[count * classifier.ClassCount];
        classifier.ComputeLogits(images, count, logits);
        return Enumerable.Range(0, count)
            .Select(i => Logits.ArgMax(logits.AsSpan(i * classifier.ClassCount, classifier.ClassCount))).ToArray();
    }

    [SkippableFact]
    public void MnistZooModelClassifiesTestDigits()
    {
        using var classifier = new OnnxClassifier(SharedModels.Require(MnistZoo));
        Assert.Equal(new ImageShape(1, 28, 28), classifier.InputShape);
        Assert.Equal(10, classifier.ClassCount);
        Assert.Equal("Input3", classifier.InputName);
        Assert.Equal("Plus214_Output_0", classifier.LogitsName);

        const int count = 200;
        var (pixels, labels) = ZooDigits(count);
        int[] predicted = Predictions(classifier, pixels, count);
        double accuracy = predicted.Zip(labels).Count(p => p.First == p.Second) / (double)count;
        Assert.True(accuracy >= 0.95, $"accuracy {accuracy:P1} on the first {count} test digits");
    }

    [SkippableFact]
    public void MnistZooModelWithBatchOneAcceptsBatches()
    {
        using var batchN = new OnnxClassifier(SharedModels.Require(MnistZoo));
        using var batchOne = new OnnxClassifier(SharedModels.Require(MnistZooBatchOne));
        Assert.Contains(batchOne.Warnings, w => w.Contains("batch"));
        const int count = 8;
        var (pixels, _) = ZooDigits(count);
        var expected = new float[count * 10];
        var actual = new float[count * 10];
        batchN.ComputeLogits(pixels, count, expected);
        batchOne.ComputeLogits(pixels, count, actual);
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], actual[i], 3);
    }

    [SkippableFact]
    public void SqueezeNetGivesThousandLogitsForABatchOfTwo()
    {
        using var classifier = new OnnxClassifier(SharedModels.Require(SqueezeNet));
        Assert.Equal(new ImageShape(3, 224, 224), classifier.InputShape);
        Assert.Equal(1000, classifier.ClassCount);
        AssertFiniteLogitsThatDifferPerImage(classifier, scale: 100f);
    }

    [SkippableFact]
    public void SqueezeNetSoftmaxOutputIsRefusedNamingTheLogits()
    {
        string path = SharedModels.Require(SqueezeNet);
        var error = Assert.Throws<InvalidModelException>(() =>
            new OnnxClassifier(path, new OnnxClassifierOptions { LogitsOutputName = "softmaxout_1" }));
        Assert.Contains("pool10_1", error.Message);
        Assert.Contains(path, error.Message);
    }

    [SkippableFact]
    public void MobileNetV2GivesThousandLogitsForABatchOfTwo()
    {
        using var classifier = new OnnxClassifier(SharedModels.Require(MobileNetV2));
        Assert.Equal(new ImageShape(3, 224, 224), classifier.InputShape);
        Assert.Equal(1000, classifier.ClassCount);
        AssertFiniteLogitsThatDifferPerImage(classifier, scale: 2f);
    }

    private static void AssertFiniteLogitsThatDifferPerImage(OnnxClassifier classifier, float scale)
    {
        const int count = 2;
        var random = new Random(7);
        float[] images = Enumerable.Range(0, count * classifier.InputShape.Size)
            .Select(_ => (float)(random.NextDouble() * 2 - 1) * scale).ToArray();
        var logits = new float[count * 1000];
        classifier.ComputeLogits(images, count, logits);
        Assert.All(logits, l => Assert.True(float.IsFinite(l)));
        Assert.NotEqual(logits.AsSpan(0, 1000).ToArray(), logits.AsSpan(1000, 1000).ToArray());

        // Each image alone gives the same logits as in the batch.
        var single = new float[1000];
        classifier.ComputeLogits(images.AsSpan(classifier.InputShape.Size, classifier.InputShape.Size), 1, single);
        for (int c = 0; c < 1000; c++) Assert.Equal(logits[1000 + c], single[c], 3);
    }

    [SkippableTheory]
    [InlineData(MnistZoo, "Input3", "Plus214_Output_0", 255f)]
    [InlineData(MnistZooBatchOne, "Input3", "Plus214_Output_0", 255f)]
    [InlineData(SqueezeNet, "data_0", "pool10_1", 100f)]
    [InlineData(MobileNetV2, "input", "output", 2f)]
    public void PreparedModelComputesTheSameLogitsAsTheOriginal(string model, string input, string output, float scale)
    {
        string path = SharedModels.Require(model);
        using var classifier = new OnnxClassifier(path);
        int size = classifier.InputShape.Size;
        var random = new Random(3);
        float[] image = Enumerable.Range(0, size).Select(_ => (float)random.NextDouble() * scale).ToArray();

        // The file as it is, run by ONNX Runtime directly (one image: the batch-1 original allows no more).
        using var session = new Microsoft.ML.OnnxRuntime.InferenceSession(path);
        using var runOptions = new Microsoft.ML.OnnxRuntime.RunOptions();
        using var value = Microsoft.ML.OnnxRuntime.OrtValue.CreateTensorValueFromMemory(image,
            new long[] { 1, classifier.InputShape.Channels, classifier.InputShape.Height, classifier.InputShape.Width });
        using var results = session.Run(runOptions, new[] { input }, new[] { value }, new[] { output });
        float[] expected = results[0].GetTensorDataAsSpan<float>().ToArray();

        var logits = new float[classifier.ClassCount];
        classifier.ComputeLogits(image, 1, logits);
        Assert.Equal(expected.Length, logits.Length);
        float largest = expected.Max(MathF.Abs);
        for (int c = 0; c < logits.Length; c++)
            Assert.True(MathF.Abs(expected[c] - logits[c]) <= 1e-4f * Math.Max(1, largest), $"{model}, class {c}: {expected[c]} vs {logits[c]}");
    }

    [SkippableTheory]
    [InlineData(MnistZoo, 255f)]
    [InlineData(SqueezeNet, 100f)]
    [InlineData(MobileNetV2, 2f)]
    public void MarginGradientsAgreeWithDirectionalFiniteDifferences(string model, float scale)
    {
        using var classifier = new OnnxClassifier(SharedModels.Require(model));
        int size = classifier.InputShape.Size;
        const int count = 2, k = 2;
        var random = new Random(11);
        float[] images = Enumerable.Range(0, count * size).Select(_ => (float)random.NextDouble() * scale).ToArray();
        int[] targets = { 1, 2, 3, 4 };
        var logits = new float[count * classifier.ClassCount];
        var gradients = new float[count * k * size];
        GradientBuilder.Run(() => classifier.ComputeLogitsAndMarginGradients(images, count, targets, k, logits, gradients));

        // A smoke test: in float32, through many ReLU/Clip/MaxPool kinks, one central difference along a random
        // direction agrees with the exact derivative only to 5–20 % (measured on SqueezeNet and MobileNetV2), so the
        // test compares all of them at once: the relative ℓ2 distance between the finite differences and the
        // gradients' directional derivatives, over 2 images × 2 targets × 3 directions (measured with the builder:
        // 0.001 on the MNIST zoo model, 0.02 on MobileNetV2, 0.09 on SqueezeNet, whose small derivatives on noise
        // images sit near float32 rounding). That catches a wrong rule
        // (a sign, a missing 1/(H·W), a wrong mask); the exact check is
        // MnistOnnxExporterTests.ExportedGradientsEqualTorchSharpAutograd.
        var numeric = new List<double>();
        var analytic = new List<double>();
        for (int i = 0; i < count; i++)
        {
            int current = Logits.ArgMax(logits.AsSpan(i * classifier.ClassCount, classifier.ClassCount));
            for (int d = 0; d < 3; d++)
            {
                float[] direction = Enumerable.Range(0, size).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
                for (int j = 0; j < k; j++)
                {
                    int target = targets[i * k + j];
                    double projected = 0;
                    for (int p = 0; p < size; p++) projected += gradients[(i * k + j) * size + p] * (double)direction[p];
                    double Margin(float step)
                    {
                        float[] image = images.AsSpan(i * size, size).ToArray();
                        for (int p = 0; p < size; p++) image[p] += step * direction[p];
                        var l = new float[classifier.ClassCount];
                        classifier.ComputeLogits(image, 1, l);
                        return l[target] - (double)l[current];
                    }
                    float h = 1e-4f * scale;
                    numeric.Add((Margin(h) - Margin(-h)) / (2 * h));
                    analytic.Add(projected);
                }
            }
        }
        double distance = Math.Sqrt(numeric.Zip(analytic).Sum(p => (p.First - p.Second) * (p.First - p.Second)));
        double norm = Math.Sqrt(analytic.Sum(a => a * a));
        Assert.True(distance <= 0.2 * norm,
            $"{model}: relative distance {distance / norm:F3}; finite differences [{string.Join(", ", numeric.Select(v => v.ToString("G4")))}], " +
            $"gradients [{string.Join(", ", analytic.Select(v => v.ToString("G4")))}]");
    }
}
