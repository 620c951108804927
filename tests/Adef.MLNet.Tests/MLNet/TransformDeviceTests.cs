using Adef.MLNet.Classifiers;
using Adef.MLNet.Classifiers.Onnx;
using Adef.MLNet.MLNet;
using Adef.MLNet.Tests.TestSupport;
using Microsoft.ML;

namespace Adef.MLNet.Tests.MLNet;

public class TransformDeviceTests
{
    [Fact]
    public void TheDeviceOfTheTransformOptionsChoosesTheOnnxProviderOnACopy()
    {
        var mine = new OnnxClassifierOptions { LogitsOutputName = "logits", IntraOpThreads = 2 };
        OnnxClassifierOptions applied = TransformDevice.Apply(mine, AttackDevice.Parse("cuda:1"))!;

        Assert.Equal(OnnxExecutionProvider.Cuda, applied.ExecutionProvider);
        Assert.Equal(1, applied.GpuDeviceId);
        Assert.Equal("logits", applied.LogitsOutputName);
        Assert.Equal(2, applied.IntraOpThreads);
        Assert.Equal(OnnxExecutionProvider.Cpu, mine.ExecutionProvider); // the caller's options are untouched
        Assert.Same(mine, TransformDevice.Apply(mine, null));
    }

    [Fact]
    public void AClassifierOnAnotherDeviceIsRefusedWhenTheTransformIsCreated()
    {
        var mlContext = new MLContext(seed: 1);
        var options = new AdefTransformOptions { Device = AttackDevice.Cuda };
        var error = Assert.Throws<ArgumentException>(() => mlContext.Transforms.Adef(QuadrantBlobs.Classifier, "Pixels", options));
        Assert.Contains("Device is cuda", error.Message);
        Assert.Contains("runs on cpu", error.Message);

        Assert.Throws<ArgumentException>(() => mlContext.Transforms.DeepFool(QuadrantBlobs.Classifier, "Pixels",
            new DeepFoolTransformOptions { Device = AttackDevice.CudaAt(0) }));
        Assert.NotNull(mlContext.Transforms.Adef(QuadrantBlobs.Classifier, "Pixels", new AdefTransformOptions { Device = AttackDevice.Cpu }));
    }
}
