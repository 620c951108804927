using static TorchSharp.torch;

namespace Adef.MLNet.Tests.Classifiers;

/// <summary>
/// Guards the input gradients of libtorch's float32 CPU convolution for the layer shapes this project
/// uses. libtorch 2.10 (TorchSharp 0.107) returns wrong and run-to-run varying input gradients for
/// convolutions with few channels (e.g. 1→8 or 4→4 channels, 3×3, batch 8: relative errors up to 0.5),
/// while layers with 16 or more output channels, like MNIST-A's, are right; the test models therefore
/// use ≥ 16 channels. Checked against float64, which takes another code path.
/// </summary>
public class LibTorchConvolutionGradientTests
{
    [Theory]
    [InlineData(8, 1, 16, 3, 12)]   // the attack tests' QuadrantBlobs network
    [InlineData(100, 1, 32, 5, 28)] // MNIST-A conv1
    [InlineData(100, 32, 64, 5, 14)] // MNIST-A conv2
    [InlineData(50, 1, 128, 3, 28)] // MNIST-B conv1
    public void Float32InputGradientMatchesFloat64(int count, int inChannels, int outChannels, int kernel, int size)
    {
        var generator = new TorchSharp.torch.Generator(5);
        using var scope = NewDisposeScope();
        Tensor weight = randn(new long[] { outChannels, inChannels, kernel, kernel }, float64, generator: generator);
        Tensor input = rand(new long[] { count, inChannels, size, size }, float64, generator: generator);
        Tensor cotangent = randn(new long[] { count, outChannels, size, size }, float64, generator: generator);
        long[] padding = { kernel / 2, kernel / 2 };
        Tensor reference = nn.functional.conv_transpose2d(cotangent, weight, padding: padding);

        for (int repeat = 0; repeat < 3; repeat++)
        {
            Tensor x = input.to(float32).requires_grad_(true);
            Tensor output = nn.functional.conv2d(x, weight.to(float32), padding: padding);
            Tensor gradient = autograd.grad(new[] { output }, new[] { x }, new[] { cotangent.to(float32) })[0];
            double relativeError = ((gradient.to(float64) - reference).abs().max() / reference.abs().max()).item<double>();
            Assert.True(relativeError < 1e-5, $"repeat {repeat}: relative error {relativeError:E2}");
        }
    }
}
