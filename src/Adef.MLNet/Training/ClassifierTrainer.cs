using Adef.MLNet.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace Adef.MLNet.Training;

/// <summary>Trains a TorchSharp classifier with Adam on cross-entropy (the ADef paper's MNIST protocol).</summary>
public static class ClassifierTrainer
{
    /// <summary>
    /// Trains <paramref name="model"/> for epochs <paramref name="firstEpoch"/> … <c>Epochs − 1</c>,
    /// calling <paramref name="epochCompleted"/> after each (e.g. to save a checkpoint).
    /// </summary>
    /// <param name="model">Maps N×C×H×W to N×L logits; trained in place and left in evaluation mode.</param>
    /// <param name="data">Training images and labels.</param>
    /// <param name="options">Epochs, batch size, learning rate, seed.</param>
    /// <param name="firstEpoch">Epoch to start from when resuming (Adam's moments start afresh).</param>
    /// <param name="epochCompleted">Called with the zero-based epoch just completed.</param>
    /// <param name="progress">Receives a report after every step.</param>
    /// <param name="cancellationToken">Checked between steps.</param>
    public static void Train(
        nn.Module<Tensor, Tensor> model, LabeledImages data, TrainingOptions options, int firstEpoch = 0,
        Action<int>? epochCompleted = null, IProgress<TrainingProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (data.Count == 0) throw new ArgumentException("The training set is empty.", nameof(data));

        int stepsPerEpoch = (data.Count + options.BatchSize - 1) / options.BatchSize;
        optim.Optimizer? optimizer = null;
        double optimizerRate = double.NaN;
        var batchPixels = new float[options.BatchSize * data.ImageSize];
        var batchLabels = new long[options.BatchSize];
        model.train();
        try
        {
            for (int epoch = firstEpoch; epoch < options.Epochs; epoch++)
            {
                if (options.LearningRateAt(epoch) != optimizerRate)
                {
                    optimizer?.Dispose();
                    optimizerRate = options.LearningRateAt(epoch);
                    optimizer = optim.Adam(model.parameters(), optimizerRate);
                }
                int[] order = Permutation(data.Count, options.Seed + epoch);
                double lossSum = 0;
                for (int step = 0; step < stepsPerEpoch; step++)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    int start = step * options.BatchSize;
                    int size = Math.Min(options.BatchSize, data.Count - start);
                    for (int b = 0; b < size; b++)
                    {
                        int index = order[start + b];
                        data.Image(index).CopyTo(batchPixels.AsSpan(b * data.ImageSize));
                        batchLabels[b] = data.Labels[index];
                    }
                    using var scope = NewDisposeScope();
                    Tensor x = tensor(batchPixels.AsSpan(0, size * data.ImageSize).ToArray(),
                        new long[] { size, data.Channels, data.Height, data.Width });
                    Tensor y = tensor(batchLabels.AsSpan(0, size).ToArray());
                    optimizer!.zero_grad();
                    Tensor loss = nn.functional.cross_entropy(model.forward(x), y);
                    loss.backward();
                    optimizer.step();
                    lossSum += loss.item<float>();
                    progress?.Report(new TrainingProgress(epoch, options.Epochs, step + 1, stepsPerEpoch, lossSum / (step + 1)));
                }
                epochCompleted?.Invoke(epoch);
            }
        }
        finally
        {
            optimizer?.Dispose();
            model.eval();
        }
    }

    private static int[] Permutation(int count, int seed)
    {
        int[] order = Enumerable.Range(0, count).ToArray();
        new Random(seed).Shuffle(order);
        return order;
    }
}
