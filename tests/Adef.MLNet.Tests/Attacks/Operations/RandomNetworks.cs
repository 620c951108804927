using Adef.MLNet.Classifiers;
using Adef.MLNet.Classifiers.TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Adef.MLNet.Tests.Attacks.Operations;

/// <summary>
/// A small untrained RGB network with seeded weights, to exercise sums over channels. It has 16 convolution channels:
/// libtorch 2.10 returns wrong float32 input gradients for narrower CPU convolutions (see LibTorchConvolutionGradientTests).
/// </summary>
public static class RandomNetworks
{
    public static readonly ImageShape Rgb = new(3, 10, 10);

    public static TorchSharpClassifier RgbClassifier(int seed)
    {
        manual_seed(seed);
        var network = Sequential(Conv2d(3, 16, 3, padding: 1), Tanh(), Flatten(), Linear(16 * 10 * 10, 5));
        return new TorchSharpClassifier(network, Rgb, 5, ownsModule: true);
    }

    public static float[] Images(int count, ImageShape shape, int seed)
    {
        var random = new Random(seed);
        var pixels = new float[count * shape.Size];
        for (int i = 0; i < pixels.Length; i++) pixels[i] = (float)random.NextDouble();
        return pixels;
    }
}
