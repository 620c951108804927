using Adef.MLNet.Classifiers;
using Adef.MLNet.Classifiers.Onnx;
using Adef.MLNet.Transforms;
using Adef.MLNet.Tests.TestSupport;
using Microsoft.ML;

namespace Adef.MLNet.Tests.Transforms;

public class TransformDeviceTests
{
    [Fact]
    public void TheDeviceOfTheTransformOptionsChoosesTheOnnxProviderOnACopy()
    {
        var mine = new OnnxClassifierOptions { LogitsOutputName = "logits", IntraOpThreads = 2 };
        OnnxClassifierOptions applied = TransformDevice.Apply(mine, ComputeDevice.Parse("cuda:1"))!;

        Assert.Equal(ComputeDevice.CudaAt(1), applied.Device);
        Assert.Equal("logits", applied.LogitsOutputName);
        Assert.Equal(2, applied.IntraOpThreads);
        Assert.Equal(ComputeDevice.Cpu, mine.Device); // the caller's options are untouched
        Assert.Same(mine, TransformDevice.Apply(mine, null));
    }

    [Fact]
    public void AClassifierOnAnotherDeviceIsRefusedWhenTheTransformIsCreated()
    {
        var mlContext = new MLContext(seed: 1);
        var options = new AdefTransformOptions { Device = ComputeDevice.Cuda };
        var error = Assert.Throws<ArgumentException>(() => mlContext.Transforms.Adef(QuadrantBlobs.Classifier, options));
        Assert.Contains("Device is cuda", error.Message);
        Assert.Contains("runs on cpu", error.Message);

        Assert.Throws<ArgumentException>(() => mlContext.Transforms.DeepFool(QuadrantBlobs.Classifier,
            new DeepFoolTransformOptions { Device = ComputeDevice.CudaAt(0) }));
        Assert.NotNull(mlContext.Transforms.Adef(QuadrantBlobs.Classifier, new AdefTransformOptions { Device = ComputeDevice.Cpu }));
    }
}
