using Adef.Experiments;
using Adef.MLNet.Classifiers;
using Adef.MLNet.Classifiers.Onnx;
using Adef.MLNet.Classifiers.TorchSharp;
using Adef.MLNet.Tests.TestSupport;
using Onnx;
using static TorchSharp.torch;

namespace Adef.MLNet.Tests.Onnx;

public class MnistOnnxExporterTests
{
    private static readonly ImageShape Digit = new(1, 28, 28);

    private static MnistA FreshMnistA(int seed)
    {
        manual_seed(seed);
        return new MnistA();
    }

    private static float[] RandomDigits(int count, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count * Digit.Size).Select(_ => (float)random.NextDouble()).ToArray();
    }

    [Fact]
    public void ExportedModelHasTheDocumentedInputAndOutput()
    {
        using var module = FreshMnistA(0);
        var model = ModelProto.Parser.ParseFrom(MnistOnnxExporter.Export(module));
        Assert.Equal(18, model.OpsetImport.Single(o => o.Domain == "").Version);
        Assert.Equal("[N, 1, 28, 28]", OnnxProtos.ShapeText(model.Graph.Input.Single(i => i.Name == MnistOnnxExporter.InputName)));
        Assert.Equal("[N, 10]", OnnxProtos.ShapeText(model.Graph.Output.Single(o => o.Name == MnistOnnxExporter.OutputName)));
        Assert.Equal(new[] { "Conv", "Relu", "MaxPool", "Conv", "Relu", "MaxPool", "Flatten", "Gemm", "Relu", "Gemm" },
            model.Graph.Node.Select(n => n.OpType));
    }

    [Fact]
    public void ExportedLogitsEqualTorchSharpLogits()
    {
        using var module = FreshMnistA(1);
        using var torchClassifier = new TorchSharpClassifier(module, Digit, 10);
        using var onnxClassifier = new OnnxClassifier(MnistOnnxExporter.Export(module));
        Assert.Equal(Digit, onnxClassifier.InputShape);
        Assert.Equal(10, onnxClassifier.ClassCount);

        const int count = 5;
        float[] images = RandomDigits(count, seed: 3);
        var expected = new float[count * 10];
        var actual = new float[count * 10];
        torchClassifier.ComputeLogits(images, count, expected);
        onnxClassifier.ComputeLogits(images, count, actual);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-4, $"logit {i}: TorchSharp {expected[i]}, ONNX {actual[i]}");
    }

    [Fact]
    public void SavedFileLoadsAsAClassifier()
    {
        using var module = FreshMnistA(2);
        using var folder = new TempFolder();
        string path = folder.File("mnist-a.onnx");
        MnistOnnxExporter.Save(module, path);
        using var classifier = new OnnxClassifier(path);
        Assert.Equal("input", classifier.InputName);
        Assert.Equal("logits", classifier.LogitsName);
        Assert.Empty(classifier.Warnings);
    }

    [SkippableFact]
    public void ExportedGradientsEqualTorchSharpAutograd()
    {
        using var module = FreshMnistA(4);
        using var torchClassifier = new TorchSharpClassifier(module, Digit, 10);
        using var onnxClassifier = new OnnxClassifier(MnistOnnxExporter.Export(module));
        const int count = 3, k = 3;
        float[] images = RandomDigits(count, seed: 5);
        int[] targets = { 0, 1, 2, 9, 8, 7, 3, 5, 4 };
        var torchLogits = new float[count * 10];
        var torchGradients = new float[count * k * Digit.Size];
        var onnxLogits = new float[count * 10];
        var onnxGradients = new float[count * k * Digit.Size];
        torchClassifier.ComputeLogitsAndMarginGradients(images, count, targets, k, torchLogits, torchGradients);
        GradientBuilder.Run(() => onnxClassifier.ComputeLogitsAndMarginGradients(images, count, targets, k, onnxLogits, onnxGradients));

        for (int i = 0; i < torchLogits.Length; i++) Assert.True(Math.Abs(torchLogits[i] - onnxLogits[i]) <= 1e-4);
        for (int row = 0; row < count * k; row++)
        {
            var expected = torchGradients.AsSpan(row * Digit.Size, Digit.Size);
            var actual = onnxGradients.AsSpan(row * Digit.Size, Digit.Size);
            double difference = 0, norm = 0;
            for (int p = 0; p < Digit.Size; p++)
            {
                difference += (expected[p] - actual[p]) * (double)(expected[p] - actual[p]);
                norm += expected[p] * (double)expected[p];
            }
            double relative = Math.Sqrt(difference / Math.Max(norm, 1e-30));
            Assert.True(relative <= 1e-4, $"gradient row {row} (image {row / k}, target {targets[row]}): relative error {relative:E2}");
        }
    }
}
