using Adef.MLNet.Classifiers;
using Adef.MLNet.Classifiers.Onnx;
using Google.Protobuf;
using Onnx;
using static Adef.MLNet.Classifiers.Onnx.OnnxProtos;

namespace Adef.MLNet.Tests.Onnx;

public class OnnxClassifierTests
{
    private static OnnxClassifier Load(ModelProto model, OnnxClassifierOptions? options = null) => new(model.ToByteArray(), options);

    private static void AssertLogitsOfTinyModel(OnnxClassifier classifier, int count = 3)
    {
        float[] images = TinyModels.RandomImages(count, seed: 5);
        var logits = new float[count * TinyModels.Classes];
        classifier.ComputeLogits(images, count, logits);
        for (int i = 0; i < count; i++)
        {
            float[] expected = TinyModels.ExpectedLogits(images.AsSpan(i * TinyModels.ImageSize, TinyModels.ImageSize));
            for (int c = 0; c < TinyModels.Classes; c++)
                Assert.Equal(expected[c], logits[i * TinyModels.Classes + c], 4);
        }
    }

    [Fact]
    public void SingleOutputIsTakenAsLogits()
    {
        using var classifier = Load(TinyModels.Classifier(batch: "N"));
        Assert.Equal(new Adef.MLNet.Classifiers.ImageShape(2, 3, 3), classifier.InputShape);
        Assert.Equal(4, classifier.ClassCount);
        Assert.Equal("x", classifier.InputName);
        Assert.Equal("logits", classifier.LogitsName);
        Assert.Empty(classifier.Warnings);
        AssertLogitsOfTinyModel(classifier);
    }

    [Fact]
    public void SoftmaxOutputBesideTheLogitsIsIgnored()
    {
        using var classifier = Load(TinyModels.Classifier(batch: "N", softmax: true));
        Assert.Equal("logits", classifier.LogitsName);
        AssertLogitsOfTinyModel(classifier);
    }

    [Fact]
    public void SoftmaxOnlyOutputIsRefusedNamingTheTensorThatFeedsIt()
    {
        var error = Assert.Throws<InvalidModelException>(() => Load(TinyModels.Classifier(batch: "N", softmax: true, logitsOutput: false)));
        Assert.Contains("'probabilities'", error.Message);
        Assert.Contains("LogitsOutputName = \"logits\"", error.Message);
        Assert.Contains("AllowSoftmaxOutput", error.Message);
    }

    [Fact]
    public void SoftmaxOutputIsAcceptedWithAWarningWhenAllowed()
    {
        using var classifier = Load(TinyModels.Classifier(batch: "N", softmax: true, logitsOutput: false),
            new OnnxClassifierOptions { AllowSoftmaxOutput = true });
        Assert.Equal("probabilities", classifier.LogitsName);
        Assert.Contains(classifier.Warnings, w => w.Contains("Softmax") && w.Contains("logits"));
        var probabilities = new float[2 * 4];
        classifier.ComputeLogits(TinyModels.RandomImages(2, seed: 1), 2, probabilities);
        Assert.Equal(1f, probabilities.AsSpan(0, 4).ToArray().Sum(), 5);
    }

    [Fact]
    public void IntermediateTensorCanBeChosenAsLogits()
    {
        using var classifier = Load(TinyModels.Classifier(batch: "N", softmax: true, logitsOutput: false),
            new OnnxClassifierOptions { LogitsOutputName = "logits" });
        Assert.Equal(4, classifier.ClassCount);
        AssertLogitsOfTinyModel(classifier);
    }

    [Fact]
    public void UnknownLogitsNameIsRefusedListingTheOutputs()
    {
        var error = Assert.Throws<InvalidModelException>(() =>
            Load(TinyModels.Classifier(batch: "N"), new OnnxClassifierOptions { LogitsOutputName = "scores" }));
        Assert.Contains("'scores'", error.Message);
        Assert.Contains("'logits'", error.Message);
    }

    [Fact]
    public void FixedBatchOfOneIsMadeSymbolicIncludingConstantReshapes()
    {
        using var classifier = Load(TinyModels.Classifier(batch: 1L));
        Assert.Contains(classifier.Warnings, w => w.Contains("batch"));
        AssertLogitsOfTinyModel(classifier, count: 5);
    }

    [Fact]
    public void BatchHardCodedInsideTheGraphFailsWithAHintForBatchesAboveOne()
    {
        ModelProto model = TinyModels.Classifier(batch: 1L);
        model.Graph.Initializer.Add(Int64Vector("two_by_nine", new long[] { 2, 9 }));
        model.Graph.Node.Insert(0, Node("Reshape", "hard_coded", new[] { "x", "two_by_nine" }, new[] { "x29" }));
        model.Graph.Node[1].Input[0] = "x29";
        using var classifier = Load(model);
        AssertLogitsOfTinyModel(classifier, count: 1);
        var error = Assert.Throws<InvalidOperationException>(() =>
            classifier.ComputeLogits(TinyModels.RandomImages(2, seed: 1), 2, new float[8]));
        Assert.Contains("batch of 2", error.Message);
        Assert.Contains("hard-codes a batch size", error.Message);
    }

    [Fact]
    public void FixedBatchLargerThanOneIsRefusedNamingTheInput()
    {
        var error = Assert.Throws<InvalidModelException>(() => Load(TinyModels.Classifier(batch: 8L)));
        Assert.Contains("'x'", error.Message);
        Assert.Contains("[8, 2, 3, 3]", error.Message);
    }

    [Fact]
    public void InputThatIsNotAnImageIsRefusedWithItsShape()
    {
        ModelProto model = TinyModels.Classifier(batch: "N");
        model.Graph.Input[0] = ValueInfo("x", FloatType, "N", 18L);
        var error = Assert.Throws<InvalidModelException>(() => Load(model));
        Assert.Contains("'x'", error.Message);
        Assert.Contains("[N, 18]", error.Message);
    }

    [Fact]
    public void SymbolicImageSizeIsRefused()
    {
        ModelProto model = TinyModels.Classifier(batch: "N");
        model.Graph.Input[0] = ValueInfo("x", FloatType, "N", 2L, "height", 3L);
        var error = Assert.Throws<InvalidModelException>(() => Load(model));
        Assert.Contains("height", error.Message);
    }

    [Fact]
    public void UnknownInputNameIsRefusedListingTheInputs()
    {
        var error = Assert.Throws<InvalidModelException>(() =>
            Load(TinyModels.Classifier(batch: "N"), new OnnxClassifierOptions { InputName = "images" }));
        Assert.Contains("'images'", error.Message);
        Assert.Contains("'x' float [N, 2, 3, 3]", error.Message);
    }

    [Fact]
    public void SeveralFloatInputsNeedAnInputName()
    {
        ModelProto model = TinyModels.Classifier(batch: "N");
        model.Graph.Input.Add(ValueInfo("temperature", FloatType, 1L));
        var error = Assert.Throws<InvalidModelException>(() => Load(model));
        Assert.Contains("InputName", error.Message);
        Assert.Contains("'temperature'", error.Message);

        // Named, the image input is used and the unused extra input is pruned away.
        using var classifier = Load(model, new OnnxClassifierOptions { InputName = "x" });
        AssertLogitsOfTinyModel(classifier);
    }

    [Fact]
    public void LogitsOfShapeNxLx1x1AreFlattened()
    {
        ModelProto model = TinyModels.Classifier(batch: "N");
        GraphProto graph = model.Graph;
        graph.Initializer.Add(Int64Vector("nl11", new long[] { -1, 4, 1, 1 }));
        graph.Node.Add(Node("Reshape", "to4d", new[] { "logits", "nl11" }, new[] { "logits4d" }));
        graph.Output.Clear();
        graph.Output.Add(ValueInfo("logits4d", FloatType, "N", 4L, 1L, 1L));
        using var classifier = Load(model);
        Assert.Equal(4, classifier.ClassCount);
        AssertLogitsOfTinyModel(classifier);
    }

    [Fact]
    public void SymbolicClassCountIsFoundByRunningTheModel()
    {
        ModelProto model = TinyModels.Classifier(batch: "N");
        model.Graph.Output[0] = ValueInfo("logits", FloatType, "N", "classes");
        using var classifier = Load(model);
        Assert.Equal(4, classifier.ClassCount);
        AssertLogitsOfTinyModel(classifier);
    }

    [Fact]
    public void OldOpsetModelIsUpgradedAndStillComputesTheSameLogits()
    {
        using var classifier = Load(TinyModels.Classifier(batch: "N", softmax: true, opset: 9));
        AssertLogitsOfTinyModel(classifier);
    }

    [SkippableFact]
    public void CudaFallsBackToTheCpuWithTheReason()
    {
        using var classifier = Load(TinyModels.Classifier(batch: "N"),
            new OnnxClassifierOptions { Device = ComputeDevice.CudaAt(0) });
        Skip.If(classifier.Device.IsGpu, "a CUDA build of ONNX Runtime is present");
        Assert.Equal(ComputeDevice.Cpu, classifier.Device);
        Assert.Contains(classifier.Warnings, w => w.Contains("CUDA") && w.Contains("CPU"));
        AssertLogitsOfTinyModel(classifier);
    }

    [Fact]
    public void CudaWithoutFallbackSaysWhatWasTried()
    {
        var options = new OnnxClassifierOptions { Device = ComputeDevice.CudaAt(0), FallbackToCpu = false };
        var error = Assert.Throws<DeviceUnavailableException>(() => Load(TinyModels.Classifier(batch: "N"), options));
        Assert.Equal(ComputeDevice.CudaAt(0), error.Device);
        Assert.Contains("CUDA execution provider on GPU 0", error.Message);
        Assert.Contains("Microsoft.ML.OnnxRuntime.Gpu", error.Message);
    }

    [Fact]
    public void ArgumentsOfTheWrongLengthAreRejected()
    {
        using var classifier = Load(TinyModels.Classifier(batch: "N"));
        Assert.Throws<ArgumentException>(() => classifier.ComputeLogits(new float[17], 1, new float[4]));
        Assert.Throws<ArgumentException>(() => classifier.ComputeLogits(new float[18], 1, new float[3]));
        Assert.Throws<ArgumentOutOfRangeException>(() =>
            classifier.ComputeLogitsAndMarginGradients(new float[18], 1, new[] { 4 }, 1, new float[4], new float[18]));
    }

    [Fact]
    public void ModelFileAndBytesGiveTheSameClassifier()
    {
        using var folder = new TestSupport.TempFolder();
        string path = folder.File("tiny.onnx");
        File.WriteAllBytes(path, TinyModels.Classifier(batch: "N").ToByteArray());
        using var classifier = new OnnxClassifier(path);
        AssertLogitsOfTinyModel(classifier);
    }

    [Fact]
    public void ConcurrentCallsGiveTheSameLogitsAsSequentialOnes()
    {
        using var classifier = Load(TinyModels.Classifier(batch: "N"));
        float[] images = TinyModels.RandomImages(4, seed: 9);
        var expected = new float[16];
        classifier.ComputeLogits(images, 4, expected);
        Parallel.For(0, 16, _ =>
        {
            var logits = new float[16];
            classifier.ComputeLogits(images, 4, logits);
            Assert.Equal(expected, logits);
        });
    }

    [SkippableFact]
    public void MarginGradientsMatchCentralFiniteDifferences()
    {
        using var classifier = Load(TinyModels.Classifier(batch: "N"));
        const int count = 2, k = 2, size = TinyModels.ImageSize;
        float[] images = TinyModels.RandomImages(count, seed: 2);
        int[] targets = { 0, 3, 1, 2 };
        var logits = new float[count * 4];
        var gradients = new float[count * k * size];
        GradientBuilder.Run(() => classifier.ComputeLogitsAndMarginGradients(images, count, targets, k, logits, gradients));

        for (int i = 0; i < count; i++)
        {
            float[] image = images.AsSpan(i * size, size).ToArray();
            float[] expected = TinyModels.ExpectedLogits(image);
            int current = Array.IndexOf(expected, expected.Max());
            for (int j = 0; j < k; j++)
            {
                int target = targets[i * k + j];
                for (int p = 0; p < size; p++)
                {
                    // d/dx_p (F_t − F_c) = (1 − tanh²(x_p)) (W[p, t] − W[p, c]).
                    float slope = 1 - MathF.Tanh(image[p]) * MathF.Tanh(image[p]);
                    float analytic = slope * (TinyModels.Weights[p * 4 + target] - TinyModels.Weights[p * 4 + current]);
                    Assert.Equal(analytic, gradients[(i * k + j) * size + p], 4);
                }
            }
        }
    }
}

/// <summary>Skips a test while the gradient builder is a placeholder.</summary>
public static class GradientBuilder
{
    public static void Run(Action action)
    {
        try
        {
            action();
        }
        catch (NotSupportedException e) when (e.Message.Contains("not merged yet"))
        {
            throw new SkipException("needs MarginGradientGraph (the gradient builder is still a stub in this branch)");
        }
    }
}
