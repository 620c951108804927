using System.Diagnostics;
using Adef.MLNet.Data;
using Adef.MLNet.Training;
using Spectre.Console;
using TorchSharp;
using static TorchSharp.torch;
using Adef.Experiments;

namespace Adef.Samples;

/// <summary>advtrain --measure-steps: seconds per training step of each model and method, to size a run before starting it.</summary>
internal static partial class AdvTrainCommand
{
    private static void MeasureSteps(LabeledImages train, int steps, Settings settings, Device device)
    {
        var table = new Table().Title($"Training time per step on {device} (batch 50, {steps} steps each after one warm-up step, {Environment.ProcessorCount} threads)");
        foreach (string column in new[] { "Model", "Training", "Weights", "s/step", "CPU s/step", "Images/hour", "Steps in 1 h" })
            table.AddColumn(new TableColumn(column).RightAligned());
        foreach (string architecture in settings.Architectures ?? Architectures)
        {
            int cachedEpochs = MnistModelCache.EpochsCompleted(architecture, CleanOptions(settings));
            bool cached = cachedEpochs > 0;
            using var start = cached ? MnistModelCache.GetOrTrain(architecture, CleanOptions(settings with { CleanEpochs = cachedEpochs }), train)
                : MnistModelCache.Create(architecture);
            foreach (AdversarialTraining method in new[] { AdversarialTraining.None, AdversarialTraining.Pgd, AdversarialTraining.Adef })
            {
                using var model = MnistModelCache.Create(architecture);
                model.load_state_dict(start.state_dict());
                model.to(device);
                // One untimed warm-up step (first-call allocations), then the timed steps on fresh images.
                ClassifierTrainer.Train(model, train, OneEpoch(settings, method, images: 50, seed: 1));
                TimeSpan cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
                var stopwatch = Stopwatch.StartNew();
                ClassifierTrainer.Train(model, train, OneEpoch(settings, method, images: steps * 50, seed: 0));
                double perStep = stopwatch.Elapsed.TotalSeconds / steps;
                double cpuPerStep = (Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalSeconds / steps;
                table.AddRow(architecture, method.ToString(), cached ? "clean (cached)" : "random init", $"{perStep:0.000}", $"{cpuPerStep:0.000}",
                    $"{3600 / perStep * 50:0}", $"{3600 / perStep:0}");
            }
        }
        AnsiConsole.Write(table);
    }

    /// <summary>One epoch of <paramref name="images"/> images with <paramref name="method"/>'s recipe (clean training for None).</summary>
    private static TrainingOptions OneEpoch(Settings settings, AdversarialTraining method, int images, int seed)
    {
        TrainingOptions options = method == AdversarialTraining.None ? new TrainingOptions() : AdversarialOptions(settings, method);
        options.Epochs = 1;
        options.FinalEpochsAtTenthRate = 0;
        options.ImagesPerEpoch = images;
        options.Seed = seed;
        return options;
    }
}
