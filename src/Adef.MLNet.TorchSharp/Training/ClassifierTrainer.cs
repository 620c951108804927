using Adef.MLNet.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace Adef.MLNet.Training;

/// <summary>
/// Trains a TorchSharp classifier with Adam on cross-entropy (the ADef paper's MNIST protocol), clean or adversarially
/// (<see cref="TrainingOptions.AdversarialTraining"/>: each minibatch is replaced by PGD or ADef examples crafted with
/// the model in evaluation mode, then the step is taken in training mode).
/// </summary>
public static class ClassifierTrainer
{
    /// <summary>
    /// Trains <paramref name="model"/> for epochs <paramref name="firstEpoch"/> … <c>Epochs − 1</c>,
    /// calling <paramref name="epochCompleted"/> after each (e.g. to save a checkpoint).
    /// </summary>
    /// <param name="model">
    /// Maps N×C×H×W to N×L logits; trained in place on the device its parameters are on (move it with <c>to(device)</c>
    /// first to train on CUDA) and left in evaluation mode.
    /// </param>
    /// <param name="data">Training images and labels.</param>
    /// <param name="options">Epochs, batch size, learning rate, seed, images per epoch, adversarial training.</param>
    /// <param name="firstEpoch">Epoch to start from when resuming (Adam's moments start afresh).</param>
    /// <param name="epochCompleted">Called with the zero-based epoch just completed.</param>
    /// <param name="progress">Receives a report after every step.</param>
    /// <param name="cancellationToken">Checked between steps.</param>
    /// <remarks>
    /// Epoch e draws its images in the order of a permutation seeded with <c>Seed + e</c> (the first
    /// <see cref="TrainingOptions.ImagesPerEpoch"/> of it), and PGD's random starts are seeded per step, so a run resumed at
    /// <paramref name="firstEpoch"/> draws the same images and random starts as an uninterrupted one (its adversarial
    /// examples differ only through the weights, since Adam's moments restart).
    /// </remarks>
    /// <exception cref="ArgumentException">The data set is empty or an option is out of range.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was canceled (the epochs completed before were reported).</exception>
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

        Device device = ParameterDevice(model);
        int imagesPerEpoch = Math.Min(options.ImagesPerEpoch ?? data.Count, data.Count);
        int stepsPerEpoch = (imagesPerEpoch + options.BatchSize - 1) / options.BatchSize;
        using AdversarialExamples? adversary = AdversarialExamples.Create(model, device, data, options);
        var intLabels = adversary is null ? null : new int[options.BatchSize];
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
                    int size = Math.Min(options.BatchSize, imagesPerEpoch - start);
                    for (int b = 0; b < size; b++)
                    {
                        int index = order[start + b];
                        data.Image(index).CopyTo(batchPixels.AsSpan(b * data.ImageSize));
                        batchLabels[b] = data.Labels[index];
                    }
                    double fooled = double.NaN;
                    if (adversary is not null)
                    {
                        for (int b = 0; b < size; b++) intLabels![b] = (int)batchLabels[b];
                        int seed = unchecked(options.Pgd.Seed + 1 + epoch * stepsPerEpoch + step);
                        fooled = (double)adversary.Craft(batchPixels, new ArraySegment<int>(intLabels!, 0, size), size, seed) / size;
                        model.train();
                    }
                    using var scope = NewDisposeScope();
                    Tensor x = tensor(batchPixels.AsSpan(0, size * data.ImageSize).ToArray(),
                        new long[] { size, data.Channels, data.Height, data.Width }, device: device);
                    Tensor y = tensor(batchLabels.AsSpan(0, size).ToArray(), device: device);
                    optimizer!.zero_grad();
                    Tensor loss = nn.functional.cross_entropy(model.forward(x), y);
                    loss.backward();
                    optimizer.step();
                    lossSum += loss.item<float>();
                    progress?.Report(new TrainingProgress(epoch, options.Epochs, step + 1, stepsPerEpoch, lossSum / (step + 1), fooled));
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

    /// <summary>The device of the model's parameters (the CPU for a model without any).</summary>
    private static Device ParameterDevice(nn.Module model)
    {
        foreach (Tensor parameter in model.parameters()) return parameter.device;
        return CPU;
    }

    private static int[] Permutation(int count, int seed)
    {
        int[] order = Enumerable.Range(0, count).ToArray();
        new Random(seed).Shuffle(order);
        return order;
    }
}
