using Adef.MLNet.Classifiers;
using Adef.MLNet.Classifiers.TorchSharp;
using Adef.MLNet.Data;
using Adef.MLNet.Training;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Adef.MLNet.Tests.TestSupport;

/// <summary>
/// A tiny, deterministic image task for attack tests: a bright Gaussian blob in one of four quadrants
/// of a 1×12×12 image (class = quadrant), and a small CNN trained on it in about a second.
/// Deforming the image moves the blob, so ADef can change the label with a small field.
/// </summary>
public static class QuadrantBlobs
{
    public const int Size = 12;
    public static readonly ImageShape Shape = new(1, Size, Size);
    private static readonly Lazy<(TorchSharpClassifier Classifier, Module<Tensor, Tensor> Network)> Trained = new(Train);

    /// <summary>The shared trained classifier (the module is never disposed; tests share it).</summary>
    public static TorchSharpClassifier Classifier => Trained.Value.Classifier;

    /// <summary>The shared trained network on the CPU; copy its state into a <see cref="CreateNetwork"/> before moving it elsewhere.</summary>
    public static Module<Tensor, Tensor> Network => Trained.Value.Network;

    public static LabeledImages Generate(int count, int seed)
    {
        var random = new Random(seed);
        var pixels = new float[count * Size * Size];
        var labels = new int[count];
        for (int i = 0; i < count; i++)
        {
            int label = random.Next(4);
            labels[i] = label;
            double cx = (label % 2 == 0 ? 3.5 : 7.5) + random.NextDouble() * 2 - 1;
            double cy = (label / 2 == 0 ? 3.5 : 7.5) + random.NextDouble() * 2 - 1;
            double width = 1.6 + random.NextDouble() * 0.6;
            for (int y = 0; y < Size; y++)
                for (int x = 0; x < Size; x++)
                {
                    double d2 = (x - cx) * (x - cx) + (y - cy) * (y - cy);
                    pixels[i * Size * Size + y * Size + x] = (float)(Math.Exp(-d2 / (2 * width * width)) + 0.05 * random.NextDouble());
                }
        }
        return new LabeledImages(pixels, labels, 1, Size, Size);
    }

    public static Module<Tensor, Tensor> CreateNetwork() => Sequential(
        Conv2d(1, 16, 3, padding: 1), Tanh(), MaxPool2d(2), Flatten(), Linear(16 * 6 * 6, 4));

    /// <summary>
    /// The network with weights that depend only on <paramref name="seed"/>: drawn from a private generator, as libtorch's default
    /// layer initialisation draws them (uniform within ±1/√fan-in), because the global generator is shared with tests running in
    /// parallel, which may seed it or draw from it between a <c>manual_seed</c> and the layers' initialisation.
    /// </summary>
    public static Module<Tensor, Tensor> CreateNetwork(int seed)
    {
        Module<Tensor, Tensor> network = CreateNetwork();
        using var generator = new Generator((ulong)seed);
        using var noGrad = no_grad();
        long fanIn = 1;
        foreach (Tensor parameter in network.parameters()) // each layer's weight, then its bias
        {
            if (parameter.ndim > 1) fanIn = parameter.numel() / parameter.shape[0];
            double bound = 1 / Math.Sqrt(fanIn);
            parameter.uniform_(-bound, bound, generator);
        }
        return network;
    }

    private static (TorchSharpClassifier, Module<Tensor, Tensor>) Train()
    {
        Module<Tensor, Tensor> network = CreateNetwork(seed: 1234);
        ClassifierTrainer.Train(network, Generate(2000, seed: 1),
            new TrainingOptions { Epochs = 4, BatchSize = 50, LearningRate = 3e-3, Seed = 7 });
        return (new TorchSharpClassifier(network, Shape, 4), network);
    }
}
