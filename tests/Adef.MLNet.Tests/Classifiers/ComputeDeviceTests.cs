using Adef.MLNet.Classifiers;
using Adef.MLNet.Classifiers.Onnx;
using Adef.MLNet.Classifiers.TorchSharp;
using Adef.MLNet.Tests.TestSupport;
using TorchSharp;
using static TorchSharp.torch;

namespace Adef.MLNet.Tests.Classifiers;

public class ComputeDeviceTests
{
    [Theory]
    [InlineData("cpu", ComputeDeviceKind.Cpu, null, "cpu")]
    [InlineData(" CUDA ", ComputeDeviceKind.Cuda, null, "cuda")]
    [InlineData("cuda:0", ComputeDeviceKind.Cuda, 0, "cuda:0")]
    [InlineData("Cuda:3", ComputeDeviceKind.Cuda, 3, "cuda:3")]
    public void ParsesTheThreeForms(string text, ComputeDeviceKind kind, int? index, string canonical)
    {
        ComputeDevice device = ComputeDevice.Parse(text);
        Assert.Equal(kind, device.Kind);
        Assert.Equal(index, device.Index);
        Assert.Equal(canonical, device.ToString());
        Assert.Equal(device, ComputeDevice.Parse(device.ToString()));
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
        var error = Assert.Throws<FormatException>(() => ComputeDevice.Parse(text));
        Assert.Contains("cpu, cuda or cuda:N", error.Message);
        Assert.False(ComputeDevice.TryParse(text, out _));
    }

    [Fact]
    public void CpuResolvesToTheTorchCpuDevice() => Assert.Equal(DeviceType.CPU, TorchSharpDevices.Resolve(ComputeDevice.Cpu).type);

    [SkippableFact]
    public void CudaWithoutCudaIsAClearErrorSayingWhatWasTried()
    {
        Skip.If(cuda.is_available(), "CUDA is available here; this test covers machines without it.");
        var error = Assert.Throws<DeviceUnavailableException>(() => TorchSharpDevices.Resolve(ComputeDevice.CudaAt(1)));
        Assert.Equal(ComputeDevice.CudaAt(1), error.Device);
        Assert.Contains("torch.cuda.is_available() returned false", error.Message);
        Assert.Contains("libtorch loaded from", error.Message);
        Assert.Contains("TorchSharp-cuda-linux", error.Message);
        Assert.Equal(new[] { "torch.cuda.is_available() returned false" }, error.Attempts);
        Assert.False(TorchSharpDevices.IsCudaAvailable(out string reason));
        Assert.Contains("is_available", reason);

        var network = QuadrantBlobs.CreateNetwork();
        Assert.Throws<DeviceUnavailableException>(() => new TorchSharpClassifier(network, QuadrantBlobs.Shape, 4, ComputeDevice.Cuda));
    }

    [SkippableFact]
    public void ADeviceNumberBeyondTheGpusIsOutOfRange()
    {
        Skip.IfNot(cuda.is_available(), "CUDA unavailable: torch.cuda.is_available() is false on this machine.");
        int count = cuda.device_count();
        var error = Assert.Throws<DeviceUnavailableException>(() => TorchSharpDevices.Resolve(ComputeDevice.CudaAt(count)));
        Assert.Contains("out of range", error.Message);
        Assert.Contains($"torch.cuda.device_count() returned {count}", error.Attempts);
    }

    [Fact]
    public void ARequestAcceptsTheSameKindAndAnyGpuForPlainCuda()
    {
        Assert.True(ComputeDevice.Cpu.Accepts(ComputeDevice.Cpu));
        Assert.False(ComputeDevice.Cpu.Accepts(ComputeDevice.CudaAt(0)));
        Assert.True(ComputeDevice.Cuda.Accepts(ComputeDevice.CudaAt(3)));
        Assert.True(ComputeDevice.CudaAt(1).Accepts(ComputeDevice.CudaAt(1)));
        Assert.False(ComputeDevice.CudaAt(1).Accepts(ComputeDevice.CudaAt(0)));
        Assert.True(ComputeDevice.CudaAt(0).Accepts(ComputeDevice.Cuda)); // plain cuda is GPU 0
        Assert.False(ComputeDevice.Cuda.Accepts(ComputeDevice.Cpu));
    }

    [Theory]
    [InlineData("cpu")]
    [InlineData("cuda")]
    [InlineData("cuda:2")]
    public void ADeviceTravelsAsItsTextInJson(string text)
    {
        ComputeDevice device = ComputeDevice.Parse(text);
        string json = System.Text.Json.JsonSerializer.Serialize(device);
        Assert.Equal($"\"{text}\"", json);
        Assert.Equal(device, System.Text.Json.JsonSerializer.Deserialize<ComputeDevice>(json));
        Assert.Throws<System.Text.Json.JsonException>(() => System.Text.Json.JsonSerializer.Deserialize<ComputeDevice>("\"gpu\""));
    }
}
