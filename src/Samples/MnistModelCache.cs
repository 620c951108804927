using System.Text.Json;
using Adef.MLNet.Classifiers.TorchSharp;
using Adef.MLNet.Data;
using Adef.MLNet.Training;
using Spectre.Console;
using TorchSharp;
using static TorchSharp.torch;

namespace Adef.Samples;

/// <summary>
/// Trains MNIST-A/B once and keeps the weights under the data cache (<c>models/</c>); a later run with
/// the same or fewer epochs reuses them, a run asking for more epochs resumes from the last checkpoint.
/// </summary>
internal static class MnistModelCache
{
    private sealed record Checkpoint(string Architecture, int Seed, int EpochsCompleted, int BatchSize, double LearningRate);

    /// <summary>Epochs behind the cached weights of <paramref name="architecture"/>, 0 when none are cached.</summary>
    public static int EpochsCompleted(string architecture, TrainingOptions options)
    {
        string metaPath = Stem(architecture, options) + ".json";
        if (!File.Exists(metaPath)) return 0;
        return JsonSerializer.Deserialize<Checkpoint>(File.ReadAllText(metaPath))?.EpochsCompleted ?? 0;
    }

    private static string Stem(string architecture, TrainingOptions options) =>
        Path.Combine(DataCache.Folder("models"), $"{architecture.ToLowerInvariant()}-seed{options.Seed}");

    /// <summary>The cached model when its weights cover <paramref name="options"/>' epochs; otherwise null (nothing is trained).</summary>
    public static nn.Module<Tensor, Tensor>? TryLoadTrained(string architecture, TrainingOptions options)
    {
        string stem = Stem(architecture, options);
        if (!File.Exists(stem + ".weights") || EpochsCompleted(architecture, options) < options.Epochs) return null;
        var checkpoint = JsonSerializer.Deserialize<Checkpoint>(File.ReadAllText(stem + ".json"));
        if (checkpoint is null || checkpoint.BatchSize != options.BatchSize || checkpoint.LearningRate != options.LearningRate) return null;
        manual_seed(options.Seed);
        nn.Module<Tensor, Tensor> model = Create(architecture);
        model.load(stem + ".weights");
        model.eval();
        AnsiConsole.MarkupLine($"[grey]Cached {architecture}: {checkpoint.EpochsCompleted} epoch(s) in {Markup.Escape(stem + ".weights")}[/]");
        return model;
    }

    public static nn.Module<Tensor, Tensor> GetOrTrain(string architecture, TrainingOptions options, LabeledImages train)
    {
        string stem = Stem(architecture, options);
        string weightsPath = stem + ".weights";
        string metaPath = stem + ".json";

        manual_seed(options.Seed);
        nn.Module<Tensor, Tensor> model = Create(architecture);
        int done = 0;
        if (File.Exists(weightsPath) && File.Exists(metaPath))
        {
            var checkpoint = JsonSerializer.Deserialize<Checkpoint>(File.ReadAllText(metaPath));
            if (checkpoint is not null && checkpoint.BatchSize == options.BatchSize && checkpoint.LearningRate == options.LearningRate)
            {
                model.load(weightsPath);
                done = checkpoint.EpochsCompleted;
                AnsiConsole.MarkupLine($"[grey]Cached {architecture}: {done} epoch(s) in {Markup.Escape(weightsPath)}[/]");
            }
        }
        if (done >= options.Epochs)
        {
            model.eval();
            return model;
        }

        AnsiConsole.MarkupLine($"Training {architecture} from epoch {done + 1} to {options.Epochs} (Adam, lr {options.LearningRate}" +
            (options.FinalEpochsAtTenthRate > 0 ? $", {options.LearningRate / 10} for the last {options.FinalEpochsAtTenthRate}" : "") +
            $", batch {options.BatchSize}).");
        AnsiConsole.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(),
                new ElapsedTimeColumn(), new RemainingTimeColumn())
            .Start(ctx =>
            {
                var task = ctx.AddTask($"{architecture} epoch {done + 1}/{options.Epochs}", maxValue: 1);
                var progress = new SynchronousProgress<TrainingProgress>(p =>
                {
                    task.Description = $"{architecture} epoch {p.Epoch + 1}/{p.Epochs} loss {p.MeanLoss:0.0000}";
                    task.Value = (double)p.Step / p.StepsPerEpoch;
                });
                ClassifierTrainer.Train(model, train, options, done, epoch =>
                {
                    model.save(weightsPath + ".tmp");
                    File.Move(weightsPath + ".tmp", weightsPath, overwrite: true);
                    File.WriteAllText(metaPath, JsonSerializer.Serialize(
                        new Checkpoint(architecture, options.Seed, epoch + 1, options.BatchSize, options.LearningRate)));
                    if (epoch + 1 < options.Epochs)
                    {
                        task.StopTask();
                        task = ctx.AddTask($"{architecture} epoch {epoch + 2}/{options.Epochs}", maxValue: 1);
                    }
                }, progress);
                task.Value = 1;
            });
        return model;
    }

    private static nn.Module<Tensor, Tensor> Create(string architecture) => architecture switch
    {
        "MNIST-A" => new MnistA(),
        "MNIST-B" => new MnistB(),
        _ => throw new ArgumentException($"Unknown architecture '{architecture}'.", nameof(architecture)),
    };
}
