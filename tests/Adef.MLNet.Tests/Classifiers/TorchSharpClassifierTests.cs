using Adef.MLNet.Classifiers;
using Adef.MLNet.Classifiers.TorchSharp;
using Adef.MLNet.Tests.TestSupport;
using TorchSharp;
using static TorchSharp.torch;

namespace Adef.MLNet.Tests.Classifiers;

public class TorchSharpClassifierTests
{
    [Fact]
    public void MarginGradientsMatchCentralFiniteDifferences()
    {
        manual_seed(3);
        var network = nn.Sequential(nn.Conv2d(2, 16, 3, padding: 1), nn.Tanh(), nn.Flatten(), nn.Linear(16 * 5 * 4, 5));
        network.to(float64);
        var classifier = new TorchSharpClassifier(new Float32ToFloat64(network), new ImageShape(2, 5, 4), 5);
        var random = new Random(1);
        const int count = 3, size = 40, k = 2;
        float[] images = Enumerable.Range(0, count * size).Select(_ => (float)random.NextDouble()).ToArray();
        int[] targets = { 0, 4, 1, 2, 3, 0 };
        var logits = new float[count * 5];
        var gradients = new float[count * k * size];
        classifier.ComputeLogitsAndMarginGradients(images, count, targets, k, logits, gradients);

        for (int i = 0; i < count; i++)
        {
            int current = Enumerable.Range(0, 5).MaxBy(c => logits[i * 5 + c]);
            for (int j = 0; j < k; j++)
            {
                int target = targets[i * k + j];
                for (int p = 0; p < size; p += 3)
                {
                    double Margin(float delta)
                    {
                        float[] image = images.AsSpan(i * size, size).ToArray();
                        image[p] += delta;
                        var l = new float[5];
                        classifier.ComputeLogits(image, 1, l);
                        return l[target] - l[current];
                    }
                    const float h = 1e-2f;
                    double numeric = (Margin(h) - Margin(-h)) / (2 * h);
                    double analytic = gradients[(i * k + j) * size + p];
                    Assert.True(Math.Abs(numeric - analytic) <= 2e-3 * Math.Max(1, Math.Abs(numeric)),
                        $"image {i}, target {target}, pixel {p}: numeric {numeric}, autograd {analytic}");
                }
            }
        }
    }

    [Fact]
    public void ArgumentsOfTheWrongLengthAreRejected()
    {
        var classifier = QuadrantBlobs.Classifier;
        Assert.Throws<ArgumentException>(() => classifier.ComputeLogits(new float[143], 1, new float[4]));
        Assert.Throws<ArgumentException>(() => classifier.ComputeLogits(new float[144], 1, new float[3]));
        Assert.Throws<ArgumentOutOfRangeException>(() =>
            classifier.ComputeLogitsAndMarginGradients(new float[144], 1, new[] { 4 }, 1, new float[4], new float[144]));
    }

    [Fact]
    public void TorchScriptFileThatDoesNotExistIsNamed()
    {
        var error = Assert.Throws<InvalidModelException>(() =>
            TorchSharpClassifier.LoadTorchScript("/nonexistent/model.pt", new ImageShape(1, 2, 2), 2));
        Assert.Contains("/nonexistent/model.pt", error.Message);
    }

    [Fact]
    public void FileThatIsNotTorchScriptIsReportedWithItsPath()
    {
        string path = Path.Combine(Path.GetTempPath(), $"adef-not-torchscript-{Guid.NewGuid():N}.pt");
        File.WriteAllBytes(path, new byte[] { 1, 2, 3, 4, 5, 6, 7, 8 });
        try
        {
            var error = Assert.Throws<InvalidModelException>(() => TorchSharpClassifier.LoadTorchScript(path, new ImageShape(1, 2, 2), 2));
            Assert.Contains(path, error.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>Runs a float64 network on float32 inputs so finite differences are accurate.</summary>
    private sealed class Float32ToFloat64(nn.Module<Tensor, Tensor> inner) : nn.Module<Tensor, Tensor>("Float32ToFloat64")
    {
        private readonly nn.Module<Tensor, Tensor> _inner = inner;

        public override Tensor forward(Tensor input) => _inner.forward(input.to(float64)).to(float32);
    }
}
