using Adef.MLNet.Classifiers.Onnx;
using Adef.MLNet.Classifiers.Onnx.Gradients;
using Google.Protobuf;
using Onnx;
using static Adef.MLNet.Classifiers.Onnx.OnnxProtos;

namespace Adef.MLNet.Tests.Onnx;

/// <summary>
/// The classifier's gradient session, fed by a hand-written gradient graph of <see cref="TinyModels.Classifier"/>,
/// so that the plumbing (lazy build, names, shapes, pinned buffers) is tested independently of the real builder.
/// </summary>
public class OnnxClassifierGradientSessionTests
{
    private static readonly OnnxClassifierOptions LogitsFirst = new() { PrepareGradientsAtLoad = false };

    private int _builds;

    /// <summary>∇x (F_t − F_c) of x → tanh → ·W + b: (1 − tanh²(x)) ⊙ (W[:, t] − W[:, c]), written in ONNX.</summary>
    private ModelProto HandWrittenGradients(ModelProto forward, string input, string logits)
    {
        _builds++;
        Assert.Equal("x", input);
        Assert.Equal(18, OpsetUpgrade.DefaultOpset(forward));
        ModelProto model = forward.Clone();
        GraphProto graph = model.Graph;
        var transposed = new float[TinyModels.Classes * TinyModels.ImageSize];
        for (int p = 0; p < TinyModels.ImageSize; p++)
            for (int c = 0; c < TinyModels.Classes; c++)
                transposed[c * TinyModels.ImageSize + p] = TinyModels.Weights[p * TinyModels.Classes + c];
        graph.Initializer.Add(FloatTensor("WT", transposed, TinyModels.Classes, TinyModels.ImageSize));
        graph.Initializer.Add(FloatTensor("one", new[] { 1f }));
        graph.Initializer.Add(Int64Vector("axis1", new long[] { 1 }));
        graph.Initializer.Add(Int64Vector("chw", new long[] { TinyModels.Channels, TinyModels.Height, TinyModels.Width }));
        graph.Input.Add(ValueInfo(MarginGradientGraph.TargetsInput, Int64Type, "N", "K"));
        graph.Node.Add(Node("ArgMax", "g_current", new[] { logits }, new[] { "current" }, Int("axis", 1), Int("keepdims", 1)));
        graph.Node.Add(Node("Gather", "g_wt", new[] { "WT", MarginGradientGraph.TargetsInput }, new[] { "w_target" }, Int("axis", 0)));
        graph.Node.Add(Node("Gather", "g_wc", new[] { "WT", "current" }, new[] { "w_current" }, Int("axis", 0)));
        graph.Node.Add(Node("Sub", "g_diff", new[] { "w_target", "w_current" }, new[] { "w_diff" }));
        graph.Node.Add(Node("Mul", "g_sq", new[] { "hidden", "hidden" }, new[] { "hidden_sq" }));
        graph.Node.Add(Node("Sub", "g_slope", new[] { "one", "hidden_sq" }, new[] { "slope" }));
        graph.Node.Add(Node("Unsqueeze", "g_slope3", new[] { "slope", "axis1" }, new[] { "slope3" }));
        graph.Node.Add(Node("Mul", "g_flat", new[] { "w_diff", "slope3" }, new[] { "g_flat" }));
        graph.Node.Add(Node("Shape", "g_nk", new[] { MarginGradientGraph.TargetsInput }, new[] { "nk" }));
        graph.Node.Add(Node("Concat", "g_shape", new[] { "nk", "chw" }, new[] { "g_shape" }, Int("axis", 0)));
        graph.Node.Add(Node("Reshape", "g_out", new[] { "g_flat", "g_shape" }, new[] { MarginGradientGraph.GradientsOutput }));
        graph.Output.Add(ValueInfo(MarginGradientGraph.GradientsOutput, FloatType, "N", "K", 2L, 3L, 3L));
        return model;
    }

    [Fact]
    public void GradientModelIsBuiltAtLoadByDefault()
    {
        using var classifier = new OnnxClassifier(TinyModels.Classifier(batch: 1L, opset: 11).ToByteArray(), null, HandWrittenGradients);
        Assert.Equal(1, _builds);
        classifier.ComputeLogitsAndMarginGradients(TinyModels.RandomImages(1, seed: 1), 1, new[] { 2 }, 1, new float[4], new float[18]);
        Assert.Equal(1, _builds);
    }

    [Fact]
    public void WithoutPreparingAtLoadTheGradientModelIsBuiltOnceAndOnlyWhenGradientsAreAsked()
    {
        using var classifier = new OnnxClassifier(TinyModels.Classifier(batch: 1L, opset: 11).ToByteArray(), LogitsFirst, HandWrittenGradients);
        classifier.ComputeLogits(TinyModels.RandomImages(1, seed: 1), 1, new float[4]);
        Assert.Equal(0, _builds);
        for (int call = 0; call < 2; call++)
            classifier.ComputeLogitsAndMarginGradients(TinyModels.RandomImages(1, seed: 1), 1, new[] { 2 }, 1, new float[4], new float[18]);
        Assert.Equal(1, _builds);
    }

    [Fact]
    public void PrepareGradientsBuildsTheGradientModelUpFront()
    {
        using var classifier = new OnnxClassifier(TinyModels.Classifier(batch: "N").ToByteArray(), LogitsFirst, HandWrittenGradients);
        classifier.PrepareGradients();
        Assert.Equal(1, _builds);
        classifier.PrepareGradients();
        classifier.ComputeLogitsAndMarginGradients(TinyModels.RandomImages(1, seed: 1), 1, new[] { 2 }, 1, new float[4], new float[18]);
        Assert.Equal(1, _builds);
    }

    [Fact]
    public void LogitsAndGradientsArriveInTheCallersBuffers()
    {
        using var classifier = new OnnxClassifier(TinyModels.Classifier(batch: "N", softmax: true, opset: 9).ToByteArray(), null, HandWrittenGradients);
        const int count = 3, k = 3, size = TinyModels.ImageSize;
        float[] images = TinyModels.RandomImages(count, seed: 4);
        int[] targets = { 0, 1, 2, 3, 2, 1, 1, 1, 0 };
        var logits = new float[count * 4];
        var gradients = new float[count * k * size];
        classifier.ComputeLogitsAndMarginGradients(images, count, targets, k, logits, gradients);

        for (int i = 0; i < count; i++)
        {
            float[] image = images.AsSpan(i * size, size).ToArray();
            float[] expected = TinyModels.ExpectedLogits(image);
            for (int c = 0; c < 4; c++) Assert.Equal(expected[c], logits[i * 4 + c], 4);
            int current = Array.IndexOf(expected, expected.Max());
            for (int j = 0; j < k; j++)
            {
                int target = targets[i * k + j];
                for (int p = 0; p < size; p++)
                {
                    float slope = 1 - MathF.Tanh(image[p]) * MathF.Tanh(image[p]);
                    float analytic = slope * (TinyModels.Weights[p * 4 + target] - TinyModels.Weights[p * 4 + current]);
                    Assert.Equal(analytic, gradients[(i * k + j) * size + p], 4);
                }
            }
        }
    }

    [Fact]
    public void UnsupportedUpgradeLeavesLogitsWorkingAndFailsGradientsNamingTheNode()
    {
        ModelProto model = TinyModels.Classifier(batch: "N", opset: 7);
        // BatchNormalization per activation (spatial = 0) has no opset-18 form.
        model.Graph.Initializer.Add(FloatTensor("bn_one", Enumerable.Repeat(1f, 18).ToArray(), 2, 3, 3));
        model.Graph.Initializer.Add(FloatTensor("bn_zero", new float[18], 2, 3, 3));
        model.Graph.Node.Insert(0, Node("BatchNormalization", "per_activation_bn",
            new[] { "x", "bn_one", "bn_zero", "bn_zero", "bn_one" }, new[] { "x_bn" }, Int("spatial", 0), Float("epsilon", 0f)));
        model.Graph.Node[1].Input[0] = "x_bn";
        model.IrVersion = 3;
        foreach (var tensor in model.Graph.Initializer)
            model.Graph.Input.Add(ValueInfo(tensor.Name, tensor.DataType, tensor.Dims.Cast<object>().ToArray()));
        var atLoad = Assert.Throws<NotSupportedException>(() => new OnnxClassifier(model.ToByteArray(), null, HandWrittenGradients));
        Assert.Contains("per_activation_bn", atLoad.Message);
        using var classifier = new OnnxClassifier(model.ToByteArray(), LogitsFirst, HandWrittenGradients);

        float[] images = TinyModels.RandomImages(2, seed: 3);
        var logits = new float[8];
        classifier.ComputeLogits(images, 2, logits);
        Assert.Equal(TinyModels.ExpectedLogits(images.AsSpan(0, 18))[1], logits[1], 4);

        var error = Assert.Throws<NotSupportedException>(() =>
            classifier.ComputeLogitsAndMarginGradients(images, 2, new[] { 0, 1 }, 1, logits, new float[36]));
        Assert.Contains("per_activation_bn", error.Message);
        Assert.Equal(0, _builds);
    }
}
