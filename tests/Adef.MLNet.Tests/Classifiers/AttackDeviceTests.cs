using Adef.MLNet.Classifiers;
using Adef.MLNet.Classifiers.Onnx;
using Adef.MLNet.Classifiers.TorchSharp;
using Adef.MLNet.Tests.TestSupport;
using TorchSharp;
using static TorchSharp.torch;

namespace Adef.MLNet.Tests.Classifiers;

public class AttackDeviceTests
{
    [Theory]
    [InlineData("cpu", AttackDeviceKind.Cpu, null, "cpu")]
    [InlineData(" CUDA ", AttackDeviceKind.Cuda, null, "cuda")]
    [InlineData("cuda:0", AttackDeviceKind.Cuda, 0, "cuda:0")]
    [InlineData("Cuda:3", AttackDeviceKind.Cuda, 3, "cuda:3")]
    public void ParsesTheThreeForms(string text, AttackDeviceKind kind, int? index, string canonical)
    {
        AttackDevice device = AttackDevice.Parse(text);
        Assert.Equal(kind, device.Kind);
        Assert.Equal(index, device.Index);
        Assert.Equal(canonical, device.ToString());
        Assert.Equal(device, AttackDevice.Parse(device.ToString()));
    }

    [Theory]
    [InlineData("")]
    [InlineData("gpu")]
    [InlineData("cuda:")]
    [InlineData("cuda:-1")]
    [InlineData("cuda:1x")]
    [InlineData("cpu:0")]
    public void RefusesOtherTextListingTheAcceptedForms(string text)
    {
        var error = Assert.Throws<FormatException>(() => AttackDevice.Parse(text));
        Assert.Contains("cpu, cuda or cuda:N", error.Message);
        Assert.False(AttackDevice.TryParse(text, out _));
    }

    [Fact]
    public void CpuResolvesToTheTorchCpuDevice() => Assert.Equal(DeviceType.CPU, TorchSharpDevices.Resolve("cpu").type);

    [SkippableFact]
    public void CudaWithoutCudaIsAClearErrorSayingWhatWasTried()
    {
        Skip.If(cuda.is_available(), "CUDA is available here; this test covers machines without it.");
        var error = Assert.Throws<AdefDeviceException>(() => TorchSharpDevices.Resolve(AttackDevice.CudaAt(1)));
        Assert.Equal("cuda:1", error.Device);
        Assert.Contains("torch.cuda.is_available() returned false", error.Message);
        Assert.Contains("libtorch loaded from", error.Message);
        Assert.Contains("TorchSharp-cuda-linux", error.Message);
        Assert.Equal(new[] { "torch.cuda.is_available() returned false" }, error.Attempts);
        Assert.False(TorchSharpDevices.IsCudaAvailable(out string reason));
        Assert.Contains("is_available", reason);

        var network = QuadrantBlobs.CreateNetwork();
        Assert.Throws<AdefDeviceException>(() => new TorchSharpClassifier(network, QuadrantBlobs.Shape, 4, AttackDevice.Cuda));
    }

    [SkippableFact]
    public void ADeviceNumberBeyondTheGpusIsOutOfRange()
    {
        Skip.IfNot(cuda.is_available(), "CUDA unavailable: torch.cuda.is_available() is false on this machine.");
        int count = cuda.device_count();
        var error = Assert.Throws<AdefDeviceException>(() => TorchSharpDevices.Resolve(AttackDevice.CudaAt(count)));
        Assert.Contains("out of range", error.Message);
        Assert.Contains($"torch.cuda.device_count() returned {count}", error.Attempts);
    }

    [Fact]
    public void TheOnnxDeviceSetsProviderAndGpuNumber()
    {
        var options = new OnnxClassifierOptions { Device = AttackDevice.Parse("cuda:2") };
        Assert.Equal(OnnxExecutionProvider.Cuda, options.ExecutionProvider);
        Assert.Equal(2, options.GpuDeviceId);
        Assert.Equal("cuda:2", options.Device.ToString());
        options.Device = AttackDevice.Cpu;
        Assert.Equal(OnnxExecutionProvider.Cpu, options.ExecutionProvider);
        Assert.Null(options.GpuDeviceId);
    }
}
