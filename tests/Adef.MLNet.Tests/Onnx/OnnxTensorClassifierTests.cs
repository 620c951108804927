using Adef.Experiments;
using Adef.MLNet.Attacks;
using Adef.MLNet.Classifiers;
using Adef.MLNet.Classifiers.Onnx;
using Adef.MLNet.Classifiers.TorchSharp;
using Adef.MLNet.Tests.Attacks.Operations;
using TorchSharp;
using static TorchSharp.torch;

namespace Adef.MLNet.Tests.Onnx;

/// <summary><see cref="OnnxTensorClassifier"/>: an ONNX classifier run with IO binding over tensor memory, here with host tensors.</summary>
public class OnnxTensorClassifierTests
{
    private static readonly ImageShape Digit = new(1, 28, 28);

    private static OnnxClassifier MnistA(int seed)
    {
        manual_seed(seed);
        using var module = new MnistA();
        return new OnnxClassifier(MnistOnnxExporter.Export(module));
    }

    [Fact]
    public void BoundTensorsGiveTheSameLogitsAndGradientsAsTheSpanSeam()
    {
        using OnnxClassifier onnx = MnistA(3);
        using var classifier = new OnnxTensorClassifier(onnx);
        Assert.Equal(DeviceType.CPU, classifier.TorchDevice.type);
        Assert.Equal(ComputeDevice.Cpu, classifier.Device);
        float[] images = RandomNetworks.Images(5, Digit, seed: 4);
        int[] targets = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 0 };
        var logits = new float[50];
        var gradients = new float[10 * 784];
        classifier.ComputeLogitsAndMarginGradients(images, 5, targets, 2, logits, gradients);

        using var scope = NewDisposeScope();
        Tensor x = tensor(images, new long[] { 5, 1, 28, 28 });
        Tensor t = tensor(targets.Select(v => (long)v).ToArray(), new long[] { 5, 2 });
        Assert.Equal(logits, classifier.Logits(x).data<float>().ToArray());
        var (boundLogits, boundGradients) = classifier.LogitsAndMarginGradients(x, t);
        Assert.Equal(logits, boundLogits.data<float>().ToArray());
        Assert.Equal(new long[] { 5, 2, 1, 28, 28 }, boundGradients.shape);
        Assert.Equal(gradients, boundGradients.data<float>().ToArray());
    }

    [Fact]
    public void BoundRankedGradientsGiveTheSpanSeamsTargetsAndNumbers()
    {
        using OnnxClassifier onnx = MnistA(3);
        using var classifier = new OnnxTensorClassifier(onnx);
        float[] images = RandomNetworks.Images(5, Digit, seed: 4);
        int[] ranks = { 1, 4, 2 };
        var logits = new float[50];
        var targets = new int[15];
        var gradients = new float[15 * 784];
        classifier.ComputeLogitsAndRankedMarginGradients(images, 5, ranks, logits, targets, gradients);

        using var scope = NewDisposeScope();
        var (boundLogits, boundTargets, boundGradients) = classifier.LogitsAndRankedMarginGradients(tensor(images, new long[] { 5, 1, 28, 28 }), ranks);
        Assert.Equal(logits, boundLogits.data<float>().ToArray());
        Assert.Equal(targets.Select(t => (long)t), boundTargets.data<long>().ToArray());
        Assert.Equal(gradients, boundGradients.data<float>().ToArray());
        Assert.Throws<ArgumentOutOfRangeException>(() => classifier.LogitsAndRankedMarginGradients(tensor(images, new long[] { 5, 1, 28, 28 }), new[] { 10 }));
    }

    [Fact]
    public void TheDefaultTensorLossGradientEqualsTheHostOne()
    {
        using OnnxClassifier onnx = MnistA(7);
        using var classifier = new OnnxTensorClassifier(onnx);
        float[] images = RandomNetworks.Images(4, Digit, seed: 8);
        int[] labels = { 3, 0, 9, 5 };
        var logits = new float[40];
        var gradients = new float[4 * 784];
        ((IDifferentiableClassifier)classifier).ComputeLogitsAndLossGradients(images, 4, labels, logits, gradients);

        using var scope = NewDisposeScope();
        var (tensorLogits, tensorGradients) = ((ITensorClassifier)classifier).LogitsAndLossGradients(
            tensor(images, new long[] { 4, 1, 28, 28 }), tensor(labels.Select(v => (long)v).ToArray()));
        Assert.Equal(logits, tensorLogits.data<float>().ToArray());
        TorchOperationsTests.AssertClose(gradients, tensorGradients.data<float>().ToArray(), 1e-5);
    }

    [Fact]
    public void TensorsOfTheWrongShapeOrTypeAreRefused()
    {
        using OnnxClassifier onnx = MnistA(3);
        using var classifier = new OnnxTensorClassifier(onnx);
        using var scope = NewDisposeScope();
        Assert.Throws<ArgumentException>(() => classifier.Logits(zeros(2, 1, 27, 28)));
        Assert.Throws<ArgumentException>(() => classifier.Logits(zeros(new long[] { 2, 1, 28, 28 }, float64)));
        Assert.Throws<ArgumentException>(() => classifier.LogitsAndMarginGradients(zeros(2, 1, 28, 28), zeros(new long[] { 3, 1 }, int64)));
    }

    [Fact]
    public void AttacksOverTensorsOnAnOnnxClassifierAgreeWithHostSpans()
    {
        using OnnxClassifier onnx = MnistA(5);
        using var classifier = new OnnxTensorClassifier(onnx);
        float[] images = RandomNetworks.Images(8, Digit, seed: 6);
        var options = new AdefOptions { CandidateRanks = new[] { 1, 2 }, MaxIterations = 15, Sigma = 0.5, OvershootFactor = 1.2, BatchSize = 4 };
        AdefResult[] host = new AdefAttack(classifier, options with { Execution = AttackExecution.Host }).Run(images);
        AdefResult[] bound = new AdefAttack(classifier, options with { Execution = AttackExecution.ClassifierDevice }).Run(images);
        Assert.True(host.Count(r => r.Success) >= 4, "the comparison needs successful attacks");
        for (int i = 0; i < host.Length; i++)
        {
            Assert.Equal(host[i].Outcome, bound[i].Outcome);
            Assert.Equal(host[i].AdversarialLabel, bound[i].AdversarialLabel);
            Assert.True(Math.Abs(host[i].TNorm - bound[i].TNorm) <= 1e-5 * Math.Max(host[i].TNorm, 1e-6), $"image {i}: {host[i].TNorm} vs {bound[i].TNorm}");
        }

        PerturbationResult[] deepFoolHost = new DeepFoolAttack(classifier, new DeepFoolOptions { Execution = AttackExecution.Host }).Run(images);
        PerturbationResult[] deepFoolBound = new DeepFoolAttack(classifier, new DeepFoolOptions { Execution = AttackExecution.ClassifierDevice }).Run(images);
        Assert.Equal(deepFoolHost.Select(r => (r.Outcome, r.Iterations, r.AdversarialLabel)), deepFoolBound.Select(r => (r.Outcome, r.Iterations, r.AdversarialLabel)));
    }
}
