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
    public static (double[] Logits, double[] Gradients, long[] GradientShape) RunAugmented(ModelProto model, double[] x, long[] inputShape, long[] targets, int k,
        string inputName = TestGraph.X, string logitsName = "logits")
    {
        var augmented = MarginGradientGraph.Build(model, inputName, logitsName);
        using var session = Session(augmented);
        using var xValue = Tensor(model, x, inputShape, inputName);
        using var targetValue = OrtValue.CreateTensorValueFromMemory(targets, [inputShape[0], k]);
        using var runOptions = new RunOptions();
        using var outputs = session.Run(runOptions,
            new Dictionary<string, OrtValue> { [inputName] = xValue, [MarginGradientGraph.TargetsInput] = targetValue },
            [logitsName, MarginGradientGraph.GradientsOutput]);
        return (Read(outputs[0]), Read(outputs[1]), outputs[1].GetTensorTypeAndShape().Shape);
    }

    /// <summary>Logits [N, L] of the original model.</summary>
    public static double[] RunLogits(InferenceSession session, ModelProto model, double[] x, long[] inputShape,
        string inputName = TestGraph.X, string logitsName = "logits")
    {
        using var xValue = Tensor(model, x, inputShape, inputName);
        using var runOptions = new RunOptions();
        using var outputs = session.Run(runOptions, new Dictionary<string, OrtValue> { [inputName] = xValue }, [logitsName]);
        return Read(outputs[0]);
    }

    /// <summary>
    /// Asserts that every gradient entry of the augmented model matches the central finite difference
    /// of the margin F_t − F_c of the original model (c from the unperturbed logits), with
    /// max |g − fd| ≤ tolerance · max |fd|. Returns the gradients.
    /// </summary>
    public static double[] AssertMatchesFiniteDifferences(ModelProto model, long n = 2, int k = 2, long channels = 2, long height = 5, long width = 5,
        double h = 1e-5, double tolerance = 1e-3, int seed = 7, double inputScale = 1.0, string inputName = TestGraph.X, string logitsName = "logits",
        int samples = 0)
    {
        var original = model.ToByteArray();
        var random = new Random(seed);
        long[] inputShape = [n, channels, height, width];
        var imageSize = (int)(channels * height * width);
        var x = Enumerable.Range(0, (int)n * imageSize).Select(_ => inputScale * (2 * random.NextDouble() - 1)).ToArray();
        using var session = Session(model);
        var logits = RunLogits(session, model, x, inputShape, inputName, logitsName);
        var classes = logits.Length / (int)n;
        var targets = Enumerable.Range(0, (int)n * k).Select(i => (long)random.Next(classes)).ToArray();
        // Make sure some targets differ from the prediction so the margins are not all identically zero.
        for (var i = 0; i < n; i++)
        {
            targets[i * k] = (ArgMax(logits, i, classes) + 1 + i) % classes;
        }
        var (augmentedLogits, gradients, shape) = RunAugmented(model, x, inputShape, targets, k, inputName, logitsName);
        Assert.Equal(original, model.ToByteArray());
        Assert.Equal([n, k, channels, height, width], shape);
        var isFloat = model.Graph.Input.First(i => i.Name == inputName).Type.TensorType.ElemType == (int)TensorProto.Types.DataType.Float;
        for (var i = 0; i < logits.Length; i++)
        {
            Assert.Equal(logits[i], augmentedLogits[i], (isFloat ? 1e-5 : 1e-12) * (1 + Math.Abs(logits[i])));
        }

        // (gradient, central difference, one-sided difference mismatch) for every entry.
        var entries = new List<(double Gradient, double Reference, double Kink)>();
        for (var i = 0; i < n; i++)
        {
            var label = ArgMax(logits, i, classes);
            // One batch holding x_i + h·e_p and x_i − h·e_p for every checked position p.
            var checkedPositions = samples > 0
                ? [.. Enumerable.Range(0, samples).Select(_ => random.Next(imageSize))]
                : Enumerable.Range(0, imageSize).ToArray();
            var batch = new double[2 * checkedPositions.Length * imageSize];
            for (var q = 0; q < checkedPositions.Length; q++)
            {
                for (var s = 0; s < 2; s++)
                {
                    var offset = (2 * q + s) * imageSize;
                    Array.Copy(x, i * imageSize, batch, offset, imageSize);
                    batch[offset + checkedPositions[q]] += s == 0 ? h : -h;
                }
            }
            var perturbed = RunLogits(session, model, batch, [2 * checkedPositions.Length, channels, height, width], inputName, logitsName);
            for (var j = 0; j < k; j++)
            {
                var target = (int)targets[i * k + j];
                var centre = logits[i * classes + target] - logits[i * classes + label];
                for (var q = 0; q < checkedPositions.Length; q++)
                {
                    var plus = perturbed[2 * q * classes + target] - perturbed[2 * q * classes + label];
                    var minus = perturbed[(2 * q + 1) * classes + target] - perturbed[(2 * q + 1) * classes + label];
                    var kink = Math.Abs((plus - centre) - (centre - minus)) / h;
                    entries.Add((gradients[(i * k + j) * imageSize + checkedPositions[q]], (plus - minus) / (2 * h), kink));
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

    /// <summary>
    /// For larger models, where per-pixel differences drown in float noise: asserts that the derivative of
    /// each margin along the gradient's own direction and along a random unit direction u matches g·u,
    /// |fd − g·u| ≤ tolerance·|g|, with central differences of step h along u.
    /// </summary>
    public static void AssertDirectionalDerivativesMatch(ModelProto model, long n, int k, long channels, long height, long width,
        double h, double tolerance, double inputScale, string inputName, string logitsName, int seed = 11)
    {
        var random = new Random(seed);
        long[] inputShape = [n, channels, height, width];
        var imageSize = (int)(channels * height * width);
        var x = Enumerable.Range(0, (int)n * imageSize).Select(_ => inputScale * (2 * random.NextDouble() - 1)).ToArray();
        using var session = Session(model);
        var logits = RunLogits(session, model, x, inputShape, inputName, logitsName);
        var classes = logits.Length / (int)n;
        var targets = Enumerable.Range(0, (int)n * k).Select(i => (long)((ArgMax(logits, i / k, classes) + 1 + i) % classes)).ToArray();
        var (_, gradients, _) = RunAugmented(model, x, inputShape, targets, k, inputName, logitsName);
        for (var i = 0; i < n; i++)
        {
            var label = ArgMax(logits, i, classes);
            for (var j = 0; j < k; j++)
            {
                var target = (int)targets[i * k + j];
                var g = gradients.AsSpan((i * k + j) * imageSize, imageSize).ToArray();
                var norm = Math.Sqrt(g.Sum(v => v * v));
                Assert.True(norm > 0, "The gradient is zero; the test checks nothing.");
                var randomDirection = Enumerable.Range(0, imageSize).Select(_ => 2 * random.NextDouble() - 1).ToArray();
                var randomNorm = Math.Sqrt(randomDirection.Sum(v => v * v));
                foreach (var direction in new[] { g.Select(v => v / norm).ToArray(), randomDirection.Select(v => v / randomNorm).ToArray() })
                {
                    var batch = new double[2 * imageSize];
                    for (var p = 0; p < imageSize; p++)
                    {
                        batch[p] = x[i * imageSize + p] + h * direction[p];
                        batch[imageSize + p] = x[i * imageSize + p] - h * direction[p];
                    }
                    var perturbed = RunLogits(session, model, batch, [2, channels, height, width], inputName, logitsName);
                    var reference = ((perturbed[target] - perturbed[label]) - (perturbed[classes + target] - perturbed[classes + label])) / (2 * h);
                    var expected = g.Zip(direction).Sum(pair => pair.First * pair.Second);
                    Assert.True(Math.Abs(reference - expected) <= tolerance * norm,
                        $"image {i}, target {target}: directional fd {reference:G6} vs g·u {expected:G6} (|g| = {norm:G6}).");
                }
            }
        }
    }

    public static InferenceSession Session(ModelProto model)
    {
        using var options = new SessionOptions { IntraOpNumThreads = 1, InterOpNumThreads = 1 };
        return new InferenceSession(model.ToByteArray(), options);
    }

    private static OrtValue Tensor(ModelProto model, double[] x, long[] shape, string inputName)
        => model.Graph.Input.First(i => i.Name == inputName).Type.TensorType.ElemType == (int)TensorProto.Types.DataType.Float
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
