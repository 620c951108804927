using Adef.MLNet.Classifiers.Onnx;
using Adef.MLNet.Tests.TestSupport;
using Google.Protobuf;
using Onnx;
using static Adef.MLNet.Classifiers.Onnx.OnnxProtos;

namespace Adef.MLNet.Tests.Onnx;

/// <summary>The ONNX backend's ranked margin gradients: one run of the gradient model that chooses its own targets.</summary>
public class OnnxRankedGradientTests
{
    private const int Count = 6, Classes = TinyModels.Classes, Size = TinyModels.ImageSize;

    [Fact]
    public void OneRunGivesTheTwoCallDefaultsNumbersBitForBit()
    {
        using var classifier = new OnnxClassifier(TinyModels.Classifier(batch: "N").ToByteArray());
        float[] images = TinyModels.RandomImages(Count, seed: 9);
        int[] ranks = { 3, 1 };
        var (logits, targets, gradients) = Ranked(classifier, images, ranks);
        var (defaultLogits, defaultTargets, defaultGradients) = Ranked(new MarginsOnlyClassifier(classifier), images, ranks);

        Assert.Equal(defaultTargets, targets);
        Assert.Equal(defaultLogits, logits);
        Assert.Equal(defaultGradients, gradients);
        for (int i = 0; i < Count; i++)
        {
            int[] order = Enumerable.Range(0, Classes).OrderByDescending(c => logits[i * Classes + c]).ToArray();
            Assert.Equal(ranks.Select(r => order[r]), targets.AsSpan(i * 2, 2).ToArray());
        }
    }

    [Fact]
    public void TiedLogitsRankTheLowerLabelFirst()
    {
        // Classes 1 and 3 share their weights and bias, so their logits tie exactly.
        ModelProto model = TinyModels.Classifier(batch: "N");
        float[] weights = (float[])TinyModels.Weights.Clone();
        for (int p = 0; p < Size; p++) weights[p * Classes + 3] = weights[p * Classes + 1];
        Replace(model, FloatTensor("W", weights, Size, Classes));
        Replace(model, FloatTensor("b", new[] { -5f, 0.2f, -5f, 0.2f }, Classes));
        using var classifier = new OnnxClassifier(model.ToByteArray());
        float[] images = new float[Count * Size];

        var (_, targets, _) = Ranked(classifier, images, new[] { 0, 1 });
        Assert.All(Enumerable.Range(0, Count), i => Assert.Equal(new[] { 1, 3 }, targets.AsSpan(i * 2, 2).ToArray()));
    }

    [Fact]
    public void RanksOutsideTheClassesAreRejected()
    {
        using var classifier = new OnnxClassifier(TinyModels.Classifier(batch: "N").ToByteArray());
        float[] images = TinyModels.RandomImages(Count, seed: 9);
        Assert.Throws<ArgumentOutOfRangeException>(() => Ranked(classifier, images, new[] { Classes }));
        Assert.Throws<ArgumentException>(() => Ranked(classifier, images, Array.Empty<int>()));
    }

    private static void Replace(ModelProto model, TensorProto initializer)
    {
        TensorProto old = model.Graph.Initializer.Single(t => t.Name == initializer.Name);
        model.Graph.Initializer[model.Graph.Initializer.IndexOf(old)] = initializer;
    }

    private static (float[] Logits, int[] Targets, float[] Gradients) Ranked(Adef.MLNet.Classifiers.IDifferentiableClassifier classifier,
        float[] images, int[] ranks)
    {
        var logits = new float[Count * Classes];
        var targets = new int[Count * ranks.Length];
        var gradients = new float[Count * ranks.Length * Size];
        classifier.ComputeLogitsAndRankedMarginGradients(images, Count, ranks, logits, targets, gradients);
        return (logits, targets, gradients);
    }
}
