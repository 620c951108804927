using Adef.MLNet.Classifiers;
using Adef.MLNet.Classifiers.TorchSharp;
using Adef.MLNet.Tests.TestSupport;
using static TorchSharp.torch;

namespace Adef.MLNet.Tests.Classifiers;

/// <summary>Margin gradients for targets chosen by rank: the TorchSharp backend's one pass against the seam's two-call default.</summary>
public class RankedMarginGradientTests
{
    private static readonly float[] Images = QuadrantBlobs.Generate(12, seed: 5).Pixels;

    [Fact]
    public void OnePassGivesTheTwoCallDefaultsNumbersBitForBit()
    {
        TorchSharpClassifier onePass = QuadrantBlobs.Classifier;
        var twoCalls = new MarginsOnlyClassifier(onePass);
        int[] ranks = { 2, 1, 3 };
        var (logits, targets, gradients) = Ranked(onePass, ranks);
        var (defaultLogits, defaultTargets, defaultGradients) = Ranked(twoCalls, ranks);

        Assert.Equal(defaultTargets, targets);
        Assert.Equal(defaultLogits, logits);
        Assert.Equal(defaultGradients, gradients);
        for (int i = 0; i < 12; i++)
        {
            int[] order = Enumerable.Range(0, 4).OrderByDescending(c => logits[i * 4 + c]).ToArray();
            Assert.Equal(ranks.Select(r => order[r]), targets.AsSpan(i * 3, 3).ToArray());
        }
    }

    [Fact]
    public void TheTensorFormChoosesTheSameTargetsAndGradients()
    {
        TorchSharpClassifier classifier = QuadrantBlobs.Classifier;
        int[] ranks = { 1, 3 };
        var (logits, targets, gradients) = Ranked(classifier, ranks);
        using var scope = NewDisposeScope();
        Tensor x = tensor(Images).view(12, 1, 12, 12);
        var (tensorLogits, tensorTargets, tensorGradients) = classifier.LogitsAndRankedMarginGradients(x, ranks);

        Assert.Equal(logits, tensorLogits.data<float>().ToArray());
        Assert.Equal(targets.Select(t => (long)t), tensorTargets.data<long>().ToArray());
        Assert.Equal(gradients, tensorGradients.data<float>().ToArray());
        var (defaultLogits, defaultTargets, defaultGradients) = ((ITensorClassifier)new TwoCallTensorClassifier(classifier)).LogitsAndRankedMarginGradients(x, ranks);
        Assert.Equal(tensorTargets.data<long>().ToArray(), defaultTargets.data<long>().ToArray());
        Assert.Equal(tensorGradients.data<float>().ToArray(), defaultGradients.data<float>().ToArray());
    }

    [Fact]
    public void TiedLogitsRankTheLowerLabelFirstOnBothPaths()
    {
        // Labels 1 and 2 have identical weights, so their logits tie exactly in every image.
        var linear = nn.Linear(4, 4);
        using (no_grad())
        {
            linear.weight!.copy_(tensor(new float[] { 1, 0, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 0, 0, 1 }).view(4, 4));
            linear.bias!.zero_();
        }
        using var classifier = new TorchSharpClassifier(nn.Sequential(nn.Flatten(), linear), new ImageShape(1, 2, 2), 4);
        float[] images = { 0.1f, 0.5f, 0, 0.2f, 0.9f, 0.1f, 0, 0 };
        var (_, targets, _) = Ranked(classifier, new[] { 0, 1, 2, 3 }, images, 2);
        var (_, defaultTargets, _) = Ranked(new MarginsOnlyClassifier(classifier), new[] { 0, 1, 2, 3 }, images, 2);

        Assert.Equal(new[] { 1, 2, 3, 0, 0, 1, 2, 3 }, targets);
        Assert.Equal(defaultTargets, targets);
    }

    [Fact]
    public void BadRanksAreRejectedOnBothSeams()
    {
        TorchSharpClassifier classifier = QuadrantBlobs.Classifier;
        Assert.Throws<ArgumentOutOfRangeException>(() => Ranked(classifier, new[] { 1, 4 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => Ranked(new MarginsOnlyClassifier(classifier), new[] { -1 }));
        Assert.Throws<ArgumentException>(() => Ranked(classifier, Array.Empty<int>()));
        using Tensor x = zeros(2, 1, 12, 12);
        Assert.Throws<ArgumentOutOfRangeException>(() => classifier.LogitsAndRankedMarginGradients(x, new[] { 4 }));
        Assert.Throws<ArgumentException>(() => classifier.LogitsAndRankedMarginGradients(zeros(2, 3, 12, 12), new[] { 1 }));
    }

    private static (float[] Logits, int[] Targets, float[] Gradients) Ranked(IDifferentiableClassifier classifier, int[] ranks,
        float[]? images = null, int count = 12)
    {
        images ??= Images;
        int k = ranks.Length, size = classifier.InputShape.Size;
        var logits = new float[count * classifier.ClassCount];
        var targets = new int[count * k];
        var gradients = new float[count * k * size];
        classifier.ComputeLogitsAndRankedMarginGradients(images, count, ranks, logits, targets, gradients);
        return (logits, targets, gradients);
    }

    /// <summary>The tensor seam without the ranked override: the default's logits call, then the margin-gradient call.</summary>
    private sealed class TwoCallTensorClassifier(TorchSharpClassifier inner) : ITensorClassifier
    {
        public ImageShape InputShape => inner.InputShape;
        public int ClassCount => inner.ClassCount;
        public Device TorchDevice => inner.TorchDevice;
        public void ComputeLogits(ReadOnlySpan<float> images, int count, Span<float> logits) => inner.ComputeLogits(images, count, logits);
        public void ComputeLogitsAndMarginGradients(ReadOnlySpan<float> images, int count, ReadOnlySpan<int> targetLabels, int targetsPerImage,
            Span<float> logits, Span<float> gradients) =>
            inner.ComputeLogitsAndMarginGradients(images, count, targetLabels, targetsPerImage, logits, gradients);
        public Tensor Logits(Tensor images) => inner.Logits(images);
        public (Tensor Logits, Tensor Gradients) LogitsAndMarginGradients(Tensor images, Tensor targets) => inner.LogitsAndMarginGradients(images, targets);
    }
}
