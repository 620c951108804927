using Adef.MLNet.Classifiers.Onnx.Gradients;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Onnx;

namespace Adef.MLNet.Tests.Onnx.Gradients;

/// <summary>Runs models in ONNX Runtime and checks augmented gradients against central finite differences.</summary>
internal static class GradientCheck
{
    /// <summary>Logits [N, L] and gradients [N, K, C, H, W] of the augmented model.</summary>
    public static (double[] Logits, double[] Gradients, long[] GradientShape) RunAugmented(ModelProto model, double[] x, long[] inputShape, long[] targets, int k)
    {
        var augmented = MarginGradientGraph.Build(model, TestGraph.X, "logits");
        using var session = Session(augmented);
        using var xValue = Tensor(model, x, inputShape);
        using var targetValue = OrtValue.CreateTensorValueFromMemory(targets, [inputShape[0], k]);
        using var runOptions = new RunOptions();
        using var outputs = session.Run(runOptions,
            new Dictionary<string, OrtValue> { [TestGraph.X] = xValue, [MarginGradientGraph.TargetsInput] = targetValue },
            ["logits", MarginGradientGraph.GradientsOutput]);
        return (Read(outputs[0]), Read(outputs[1]), outputs[1].GetTensorTypeAndShape().Shape);
    }

    /// <summary>Logits [N, L] of the original model.</summary>
    public static double[] RunLogits(InferenceSession session, ModelProto model, double[] x, long[] inputShape)
    {
        using var xValue = Tensor(model, x, inputShape);
        using var runOptions = new RunOptions();
        using var outputs = session.Run(runOptions, new Dictionary<string, OrtValue> { [TestGraph.X] = xValue }, ["logits"]);
        return Read(outputs[0]);
    }

    /// <summary>
    /// Asserts that every gradient entry of the augmented model matches the central finite difference
    /// of the margin F_t − F_c of the original model (c from the unperturbed logits), with
    /// max |g − fd| ≤ tolerance · max |fd|. Returns the gradients.
    /// </summary>
    public static double[] AssertMatchesFiniteDifferences(ModelProto model, long n = 2, int k = 2, long channels = 2, long height = 5, long width = 5,
        double h = 1e-5, double tolerance = 1e-3, int seed = 7, double inputScale = 1.0)
    {
        var original = model.ToByteArray();
        var random = new Random(seed);
        long[] inputShape = [n, channels, height, width];
        var imageSize = (int)(channels * height * width);
        var x = Enumerable.Range(0, (int)n * imageSize).Select(_ => inputScale * (2 * random.NextDouble() - 1)).ToArray();
        using var session = Session(model);
        var logits = RunLogits(session, model, x, inputShape);
        var classes = logits.Length / (int)n;
        var targets = Enumerable.Range(0, (int)n * k).Select(i => (long)random.Next(classes)).ToArray();
        // Make sure some targets differ from the prediction so the margins are not all identically zero.
        for (var i = 0; i < n; i++)
        {
            targets[i * k] = (ArgMax(logits, i, classes) + 1 + i) % classes;
        }
        var (augmentedLogits, gradients, shape) = RunAugmented(model, x, inputShape, targets, k);
        Assert.Equal(original, model.ToByteArray());
        Assert.Equal([n, k, channels, height, width], shape);
        for (var i = 0; i < logits.Length; i++)
        {
            Assert.Equal(logits[i], augmentedLogits[i], 1e-9 * (1 + Math.Abs(logits[i])) + (model.Graph.Input[0].Type.TensorType.ElemType == (int)TensorProto.Types.DataType.Float ? 1e-4 : 0));
        }

        // (gradient, central difference, one-sided difference mismatch) for every entry.
        var entries = new List<(double Gradient, double Reference, double Kink)>();
        for (var i = 0; i < n; i++)
        {
            var label = ArgMax(logits, i, classes);
            // One batch holding x_i + h·e_p and x_i − h·e_p for every position p.
            var batch = new double[2 * imageSize * imageSize];
            for (var p = 0; p < imageSize; p++)
            {
                for (var s = 0; s < 2; s++)
                {
                    var offset = (2 * p + s) * imageSize;
                    Array.Copy(x, i * imageSize, batch, offset, imageSize);
                    batch[offset + p] += s == 0 ? h : -h;
                }
            }
            var perturbed = RunLogits(session, model, batch, [2 * imageSize, channels, height, width]);
            for (var j = 0; j < k; j++)
            {
                var target = (int)targets[i * k + j];
                var centre = logits[i * classes + target] - logits[i * classes + label];
                for (var p = 0; p < imageSize; p++)
                {
                    var plus = perturbed[2 * p * classes + target] - perturbed[2 * p * classes + label];
                    var minus = perturbed[(2 * p + 1) * classes + target] - perturbed[(2 * p + 1) * classes + label];
                    var kink = Math.Abs((plus - centre) - (centre - minus)) / h;
                    entries.Add((gradients[(i * k + j) * imageSize + p], (plus - minus) / (2 * h), kink));
                }
            }
        }
        var maxReference = entries.Max(e => Math.Abs(e.Reference));
        Assert.True(maxReference > 1e-6, $"The finite-difference gradients are all zero (max {maxReference}); the test checks nothing.");
        // An entry whose one-sided differences disagree crossed a kink (Relu, Clip, MaxPool switch): skip it.
        var smooth = entries.Where(e => e.Kink <= 0.05 * maxReference).ToList();
        Assert.True(smooth.Count >= 0.9 * entries.Count, $"{entries.Count - smooth.Count} of {entries.Count} entries crossed a kink; use smaller steps.");
        var maxError = smooth.Max(e => Math.Abs(e.Gradient - e.Reference));
        Assert.True(maxError <= tolerance * maxReference, $"max |g − fd| = {maxError:G6} exceeds {tolerance} · max |fd| = {tolerance * maxReference:G6}.");
        return gradients;
    }

    public static InferenceSession Session(ModelProto model)
    {
        using var options = new SessionOptions { IntraOpNumThreads = 1, InterOpNumThreads = 1 };
        return new InferenceSession(model.ToByteArray(), options);
    }

    private static OrtValue Tensor(ModelProto model, double[] x, long[] shape)
        => model.Graph.Input.First(i => i.Name == TestGraph.X).Type.TensorType.ElemType == (int)TensorProto.Types.DataType.Float
            ? OrtValue.CreateTensorValueFromMemory(x.Select(v => (float)v).ToArray(), shape)
            : OrtValue.CreateTensorValueFromMemory(x, shape);

    private static double[] Read(OrtValue value)
        => value.GetTensorTypeAndShape().ElementDataType == TensorElementType.Float
            ? [.. value.GetTensorDataAsSpan<float>().ToArray().Select(v => (double)v)]
            : value.GetTensorDataAsSpan<double>().ToArray();

    private static int ArgMax(double[] logits, int row, int classes)
    {
        var best = 0;
        for (var l = 1; l < classes; l++)
        {
            if (logits[row * classes + l] > logits[row * classes + best])
            {
                best = l;
            }
        }
        return best;
    }
}
