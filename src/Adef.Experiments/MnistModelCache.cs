using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using Adef.MLNet.Classifiers.TorchSharp;
using Adef.MLNet.Data;
using Adef.MLNet.Training;
using Adef.ConsoleProgress;
using Spectre.Console;
using TorchSharp;
using static TorchSharp.torch;

namespace Adef.Experiments;

/// <summary>
/// Trains MNIST-A/B once and keeps the weights under the data cache (<c>models/</c>); a later run with
/// the same or fewer epochs reuses them, a run asking for more epochs resumes from the last checkpoint
/// (saved after every epoch). A model the repository ships (<see cref="ShippedModels"/>) is copied into the cache instead
/// of being trained. Adversarially trained models are cached under their own names
/// (<c>mnist-a-pgd-seed0</c>, …); when none is cached they start from the weights of <c>startFrom</c> (fine-tuning).
/// </summary>
public static class MnistModelCache
{
    private sealed record Checkpoint(string Architecture, int Seed, int EpochsCompleted, int BatchSize, double LearningRate,
        string Method = nameof(AdversarialTraining.None), int? ImagesPerEpoch = null, string? StartedFrom = null, string? TrainingPgd = null);

    /// <summary>Epochs behind the cached weights of <paramref name="architecture"/>, 0 when none are cached.</summary>
    public static int EpochsCompleted(string architecture, TrainingOptions options)
    {
        string metaPath = Stem(architecture, options) + ".json";
        if (!File.Exists(metaPath)) return 0;
        return JsonSerializer.Deserialize<Checkpoint>(File.ReadAllText(metaPath))?.EpochsCompleted ?? 0;
    }

    /// <summary>The cache path of the weights of <paramref name="architecture"/> trained with <paramref name="options"/>, without extension.</summary>
    public static string Stem(string architecture, TrainingOptions options) =>
        Path.Combine(DataCache.Folder("models"), architecture.ToLowerInvariant() +
            (options.AdversarialTraining == AdversarialTraining.None ? "" : "-" + options.AdversarialTraining.ToString().ToLowerInvariant()) +
            $"-seed{options.Seed}");

    /// <summary>The cached model when its weights cover <paramref name="options"/>' epochs; otherwise null (nothing is trained).</summary>
    public static nn.Module<Tensor, Tensor>? TryLoadTrained(string architecture, TrainingOptions options)
    {
        string stem = Stem(architecture, options);
        if (!File.Exists(stem + ".weights")) InstallShipped(stem);
        if (!File.Exists(stem + ".weights") || EpochsCompleted(architecture, options) < options.Epochs) return null;
        var checkpoint = JsonSerializer.Deserialize<Checkpoint>(File.ReadAllText(stem + ".json"));
        if (!Matches(checkpoint, options, startedFrom: null)) return null;
        manual_seed(options.Seed);
        nn.Module<Tensor, Tensor> model = Create(architecture);
        model.load(stem + ".weights");
        model.eval();
        AnsiConsole.MarkupLine($"[grey]Cached {architecture}: {checkpoint.EpochsCompleted} epoch(s) in {Markup.Escape(stem + ".weights")}[/]");
        return model;
    }

    private static void InstallShipped(string stem)
    {
        if (ShippedModels.TryInstall(stem))
            AnsiConsole.MarkupLine($"[grey]Installed the repository's shipped {Markup.Escape(Path.GetFileName(stem))} weights into the cache.[/]");
    }

    /// <summary>The model's display name, e.g. "MNIST-A" or "MNIST-A (PGD)".</summary>
    public static string Title(string architecture, TrainingOptions options) =>
        options.AdversarialTraining == AdversarialTraining.None ? architecture : $"{architecture} ({options.AdversarialTraining.ToString().ToUpperInvariant()})";

    /// <param name="architecture">"MNIST-A" or "MNIST-B".</param>
    /// <param name="options">Training options; their method, seed, batch size, rate, images per epoch and training PGD name the checkpoint.</param>
    /// <param name="train">The training set.</param>
    /// <param name="startFrom">Weights to start from when no checkpoint is cached (fine-tuning), with a description for the checkpoint.</param>
    /// <param name="device">Where to train (the returned model is on the CPU either way); null = the CPU.</param>
    /// <param name="retrain">Train from the start even when weights are cached or shipped (they are replaced).</param>
    public static nn.Module<Tensor, Tensor> GetOrTrain(string architecture, TrainingOptions options, LabeledImages train,
        (nn.Module<Tensor, Tensor> Model, string Description)? startFrom = null, Device? device = null, bool retrain = false)
    {
        string stem = Stem(architecture, options);
        if (!retrain && startFrom is null && !File.Exists(stem + ".weights")) InstallShipped(stem);
        string weightsPath = stem + ".weights";
        string metaPath = stem + ".json";
        string title = Title(architecture, options);
        string method = options.AdversarialTraining.ToString();

        manual_seed(options.Seed);
        nn.Module<Tensor, Tensor> model = Create(architecture);
        int done = 0;
        if (!retrain && File.Exists(weightsPath) && File.Exists(metaPath))
        {
            var checkpoint = JsonSerializer.Deserialize<Checkpoint>(File.ReadAllText(metaPath));
            if (Matches(checkpoint, options, startFrom?.Description))
            {
                model.load(weightsPath);
                done = checkpoint.EpochsCompleted;
                AnsiConsole.MarkupLine($"[grey]Cached {Markup.Escape(title)}: {done} epoch(s) in {Markup.Escape(weightsPath)}[/]");
            }
        }
        if (done == 0 && startFrom is { } start)
        {
            model.load_state_dict(start.Model.state_dict());
            AnsiConsole.MarkupLine($"{Markup.Escape(title)} starts from the weights of {Markup.Escape(start.Description)} (fine-tuning).");
        }
        if (done >= options.Epochs)
        {
            model.eval();
            return model;
        }

        device ??= CPU;
        AnsiConsole.MarkupLine($"Training {Markup.Escape(title)} on {device} from epoch {done + 1} to {options.Epochs} (Adam, lr {options.LearningRate}" +
            (options.FinalEpochsAtTenthRate > 0 ? $", {options.LearningRate / 10} for the last {options.FinalEpochsAtTenthRate}" : "") +
            $", batch {options.BatchSize}" + (options.ImagesPerEpoch is { } perEpoch ? $", {perEpoch} images per epoch" : "") +
            (options.AdversarialTraining == AdversarialTraining.None ? ""
                : $", each batch replaced by {method} examples" + (TrainingPgd(options) is { } pgd ? $" ({pgd})" : "")) + ").");
        AnsiConsole.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(),
                new ElapsedTimeColumn(), new RemainingTimeColumn())
            .Start(ctx =>
            {
                var task = ctx.AddTask(Markup.Escape($"{title} epoch {done + 1}/{options.Epochs}"), maxValue: 1);
                var progress = new SynchronousProgress<TrainingProgress>(p =>
                {
                    task.Description = Markup.Escape($"{title} epoch {p.Epoch + 1}/{p.Epochs} loss {p.MeanLoss:0.0000}" +
                        (double.IsNaN(p.FooledFraction) ? "" : $" fooled {p.FooledFraction:P0}"));
                    task.Value = (double)p.Step / p.StepsPerEpoch;
                });
                model.to(device);
                ClassifierTrainer.Train(model, train, options, done, epoch =>
                {
                    model.save(weightsPath + ".tmp");
                    File.Move(weightsPath + ".tmp", weightsPath, overwrite: true);
                    File.WriteAllText(metaPath, JsonSerializer.Serialize(
                        new Checkpoint(architecture, options.Seed, epoch + 1, options.BatchSize, options.LearningRate,
                            method, options.ImagesPerEpoch, startFrom?.Description, TrainingPgd(options))));
                    if (epoch + 1 < options.Epochs)
                    {
                        task.StopTask();
                        task = ctx.AddTask(Markup.Escape($"{title} epoch {epoch + 2}/{options.Epochs}"), maxValue: 1);
                    }
                }, progress);
                task.Value = 1;
            });
        model.to(CPU);
        return model;
    }

    /// <summary>Whether <paramref name="checkpoint"/> was trained with <paramref name="options"/>' recipe from <paramref name="startedFrom"/>.</summary>
    private static bool Matches([NotNullWhen(true)] Checkpoint? checkpoint, TrainingOptions options, string? startedFrom) =>
        checkpoint is not null && checkpoint.BatchSize == options.BatchSize && checkpoint.LearningRate == options.LearningRate
        && checkpoint.Method == options.AdversarialTraining.ToString() && checkpoint.ImagesPerEpoch == options.ImagesPerEpoch
        && checkpoint.StartedFrom == startedFrom && checkpoint.TrainingPgd == TrainingPgd(options);

    /// <summary>PGD training's crafting attack, e.g. "ε 0.3, 10 × 0.04"; null for other methods (so their older checkpoints still match).</summary>
    public static string? TrainingPgd(TrainingOptions options) => options.AdversarialTraining == AdversarialTraining.Pgd
        ? FormattableString.Invariant($"ε {options.Pgd.Epsilon}, {options.Pgd.Steps} × {options.Pgd.StepSize}") : null;

    /// <summary>A freshly initialised MNIST-A or MNIST-B.</summary>
    public static nn.Module<Tensor, Tensor> Create(string architecture) => architecture switch
    {
        "MNIST-A" => new MnistA(),
        "MNIST-B" => new MnistB(),
        _ => throw new ArgumentException($"Unknown architecture '{architecture}'.", nameof(architecture)),
    };
}
