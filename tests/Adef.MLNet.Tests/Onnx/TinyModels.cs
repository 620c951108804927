using Adef.MLNet.Classifiers.Onnx;
using Onnx;
using static Adef.MLNet.Classifiers.Onnx.OnnxProtos;

namespace Adef.MLNet.Tests.Onnx;

/// <summary>Tiny deterministic ONNX models built in code.</summary>
public static class TinyModels
{
    public const int Channels = 2, Height = 3, Width = 3, Classes = 4;
    public const int ImageSize = Channels * Height * Width;

    /// <summary>W (ImageSize×Classes) and b of <see cref="Classifier"/>.</summary>
    public static readonly float[] Weights = Enumerable.Range(0, ImageSize * Classes).Select(i => MathF.Sin(i * 0.7f)).ToArray();
    public static readonly float[] Bias = { 0.1f, -0.2f, 0.3f, 0f };

    /// <summary>
    /// x [batch, 2, 3, 3] → Reshape [batch?, 18] → Tanh → MatMul W → Add b → "logits" [batch, 4]; optionally a
    /// Softmax "probabilities" output, before or instead of the logits.
    /// </summary>
    internal static ModelProto Classifier(object batch, bool softmax = false, bool logitsOutput = true, long opset = 13,
        bool tanh = true)
    {
        var graph = new GraphProto { Name = "tiny" };
        graph.Input.Add(ValueInfo("x", FloatType, batch, Channels, Height, Width));
        graph.Initializer.Add(Int64Vector("flat_shape", new long[] { batch is string ? -1 : Convert.ToInt64(batch), ImageSize }));
        graph.Initializer.Add(FloatTensor("W", Weights, ImageSize, Classes));
        graph.Initializer.Add(FloatTensor("b", Bias, Classes));
        graph.Node.Add(Node("Reshape", "flatten", new[] { "x", "flat_shape" }, new[] { "flat" }));
        graph.Node.Add(Node(tanh ? "Tanh" : "Identity", "activation", new[] { "flat" }, new[] { "hidden" }));
        graph.Node.Add(Node("MatMul", "matmul", new[] { "hidden", "W" }, new[] { "product" }));
        graph.Node.Add(Node("Add", "add", new[] { "product", "b" }, new[] { "logits" }));
        if (softmax)
        {
            graph.Node.Add(Node("Softmax", "softmax", new[] { "logits" }, new[] { "probabilities" }, Int("axis", 1)));
            graph.Output.Add(ValueInfo("probabilities", FloatType, batch, Classes));
        }
        if (logitsOutput) graph.Output.Add(ValueInfo("logits", FloatType, batch, Classes));
        return Model(graph, opset);
    }

    /// <summary>The logits <see cref="Classifier"/> computes for one image.</summary>
    public static float[] ExpectedLogits(ReadOnlySpan<float> image, bool tanh = true)
    {
        var logits = (float[])Bias.Clone();
        for (int p = 0; p < ImageSize; p++)
        {
            float h = tanh ? MathF.Tanh(image[p]) : image[p];
            for (int c = 0; c < Classes; c++) logits[c] += h * Weights[p * Classes + c];
        }
        return logits;
    }

    public static float[] RandomImages(int count, int seed, int size = ImageSize)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count * size).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
    }
}
