using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using Adef.MLNet;
using Adef.MLNet.Attacks;
using Adef.MLNet.Classifiers;
using Adef.MLNet.Classifiers.TorchSharp;
using Adef.MLNet.Data;
using Adef.MLNet.Evaluation;
using Adef.MLNet.Training;
using Spectre.Console;
using TorchSharp;
using static TorchSharp.torch;

using Adef.Experiments;

namespace Adef.Samples;

/// <summary>
/// The ADef paper's adversarial-training experiment: clean, PGD-trained and ADef-trained MNIST-A and MNIST-B, each
/// evaluated for accuracy, PGD success and ADef success, printed beside the paper's table. Adversarial models are
/// fine-tuned from the clean ones on a budget a 2-core CPU can afford.
/// </summary>
internal static partial class AdvTrainCommand
{
    /// <summary>Default ADef fine-tuning epochs (a checkpoint after each, so an interrupted run loses at most one).</summary>
    public const int DefaultAdefEpochs = 4;

    /// <summary>Default training images per ADef epoch (chosen so each model trains in under an hour on 2 cores).</summary>
    public const int DefaultAdefTrainImages = 5000;

    /// <summary>Default PGD fine-tuning epochs; the last runs at a tenth of <see cref="PgdLearningRate"/>.</summary>
    public const int DefaultPgdEpochs = 8;

    /// <summary>Default training images per PGD epoch (on 2 cores MNIST-A trains in about 20 minutes, MNIST-B in about an hour).</summary>
    public const int DefaultPgdTrainImages = 20000;

    /// <summary>
    /// Default PGD iterations per crafted training batch. Each step is 4ε/3 divided by the iterations (0.04 at 10), so 40
    /// iterations give Madry et al.'s 0.01. Ten cost about a quarter as much; after 10000 crafted images both left the same
    /// PGD-40 success (63 %) here.
    /// </summary>
    public const int DefaultPgdTrainSteps = 10;

    /// <summary>
    /// Adam's rate for PGD fine-tuning: ten times the paper's, whose 1e-4 left PGD success at 60 % after 100000 crafted
    /// images (this rate: about 17 %).
    /// </summary>
    private const double PgdLearningRate = 1e-3;

    private static readonly string[] Architectures = { "MNIST-A", "MNIST-B" };
    private static readonly AdversarialTraining[] Methods = { AdversarialTraining.Pgd, AdversarialTraining.Adef };

    /// <summary>The paper's second table: (accuracy, PGD success, ADef success) of the adversarially trained models.</summary>
    private static readonly Dictionary<(string, AdversarialTraining), (double Accuracy, double Pgd, double Adef)> Paper = new()
    {
        [("MNIST-A", AdversarialTraining.Pgd)] = (0.9836, 0.0581, 0.0667),
        [("MNIST-A", AdversarialTraining.Adef)] = (0.9895, 1.0000, 0.5416),
        [("MNIST-B", AdversarialTraining.Pgd)] = (0.9874, 0.0584, 0.2035),
        [("MNIST-B", AdversarialTraining.Adef)] = (0.9879, 1.0000, 0.4507),
    };

    /// <summary>What the command runs.</summary>
    /// <param name="Epochs">Adversarial fine-tuning epochs of both methods; null = each method's default.</param>
    /// <param name="TrainImages">Training images per adversarial epoch of both methods; null = each method's default.</param>
    /// <param name="TestImages">Test digits evaluated (the first ones).</param>
    /// <param name="Output">Folder for results.json.</param>
    /// <param name="CleanEpochs">Epochs of the clean models (the last two at a tenth of the rate, as in <c>mnist</c>).</param>
    /// <param name="CleanImagesPerEpoch">Images per clean epoch; null = all 60000 (the <c>mnist</c> command's MNIST-A is reused).</param>
    /// <param name="Architectures">The architectures to run; null = MNIST-A and MNIST-B.</param>
    /// <param name="CleanOnly">Only get (or train) and evaluate the clean models, e.g. to prepare the cache.</param>
    /// <param name="Device">Where models are trained and attacked: cpu, cuda or cuda:N.</param>
    /// <param name="Methods">The adversarial trainings to run; null = PGD and ADef.</param>
    /// <param name="PgdTrainSteps">PGD iterations per crafted training batch (<see cref="TrainingPgd"/>).</param>
    internal sealed record Settings(int? Epochs, int? TrainImages, int TestImages, string Output, int CleanEpochs, int? CleanImagesPerEpoch = null,
        IReadOnlyList<string>? Architectures = null, bool CleanOnly = false, string Device = "cpu", IReadOnlyList<AdversarialTraining>? Methods = null,
        int PgdTrainSteps = DefaultPgdTrainSteps);

    /// <summary>One evaluated model.</summary>
    internal sealed record Row(string Model, string AdversarialTraining, string Training, double Accuracy, double PgdSuccess, double AdefSuccess,
        AttackSummary Pgd, AttackSummary Adef, double PgdSeconds, double AdefSeconds,
        double? PaperAccuracy, double? PaperPgdSuccess, double? PaperAdefSuccess);

    public static Command Create()
    {
        var epochs = new Option<int?>("--epochs")
        {
            Description = $"Adversarial fine-tuning epochs per model (default {DefaultPgdEpochs} for PGD, {DefaultAdefEpochs} for ADef; cached, asking for more resumes).",
        };
        var trainImages = new Option<int?>("--train-images")
        {
            Description = $"Training images per adversarial epoch, a fresh shuffle each (default {DefaultPgdTrainImages} for PGD, {DefaultAdefTrainImages} for ADef).",
        };
        var pgdTrainSteps = new Option<int>("--pgd-train-steps")
        {
            Description = "PGD iterations per crafted training batch, each of 0.4/steps (40: Madry et al.'s 0.01; the evaluation always uses 40 × 0.01).",
            DefaultValueFactory = _ => DefaultPgdTrainSteps,
        };
        var testImages = new Option<int>("--test-images") { Description = "Test digits to evaluate (the first ones, 1–10000).", DefaultValueFactory = _ => 1000 };
        var cleanEpochs = new Option<int>("--clean-epochs") { Description = "Epochs of the clean MNIST-A/B (as the mnist command: the last two at lr 1e-5).", DefaultValueFactory = _ => 22 };
        var cleanImages = new Option<int?>("--clean-train-images") { Description = "Images per clean epoch (default: all 60000; a smaller number names a different cached model)." };
        var measure = new Option<int>("--measure-steps") { Description = "Only time this many training steps of each model and method, print seconds per step, and exit (0 = off).", DefaultValueFactory = _ => 0 };
        var architectures = new Option<string[]>("--architectures")
        {
            Description = "Architectures to run (MNIST-A, MNIST-B).", DefaultValueFactory = _ => Architectures, AllowMultipleArgumentsPerToken = true,
        };
        var output = new Option<string>("--out") { Description = "Output folder for results.json.", DefaultValueFactory = _ => Path.Combine("out", "advtrain") };
        var cleanOnly = new Option<bool>("--clean-only") { Description = "Only get (or train) and evaluate the clean models, e.g. to fill the model cache first." };
        var methods = new Option<AdversarialTraining[]>("--methods")
        {
            Description = "Adversarial trainings to run (Pgd, Adef).", DefaultValueFactory = _ => Methods, AllowMultipleArgumentsPerToken = true,
        };
        var device = new Option<string>("--device") { Description = "Where to train and attack: cpu, cuda or cuda:N (TF32 off in the attacks).", DefaultValueFactory = _ => "cpu" };
        var command = new Command("advtrain",
            "Clean, PGD- and ADef-trained MNIST-A/B (adversarial ones fine-tuned from the clean weights; all cached): accuracy, PGD and ADef success, the paper's table.");
        foreach (Option option in new Option[] { epochs, trainImages, pgdTrainSteps, testImages, cleanEpochs, cleanImages, architectures, measure, output, cleanOnly, methods, device })
            command.Options.Add(option);
        command.SetAction(parse =>
        {
            var settings = new Settings(parse.GetValue(epochs), parse.GetValue(trainImages), parse.GetValue(testImages), parse.GetValue(output)!,
                parse.GetValue(cleanEpochs), parse.GetValue(cleanImages), parse.GetValue(architectures), parse.GetValue(cleanOnly), parse.GetValue(device)!,
                parse.GetValue(methods), parse.GetValue(pgdTrainSteps));
            int steps = parse.GetValue(measure);
            string[] unknown = settings.Architectures!.Except(Architectures).ToArray();
            if (unknown.Length > 0 || settings.Architectures!.Count == 0)
            {
                AnsiConsole.MarkupLine($"[red]--architectures takes {string.Join(" and ", Architectures)}; got '{Markup.Escape(string.Join(" ", unknown))}'.[/]");
                return 2;
            }
            if (settings.Methods!.Count == 0 || settings.Methods.Contains(AdversarialTraining.None))
            {
                AnsiConsole.MarkupLine("[red]--methods takes Pgd and/or Adef (the clean model is always evaluated).[/]");
                return 2;
            }
            if (settings.Epochs < 1 || settings.TrainImages < 1 || settings.TestImages is < 1 or > 10000 || settings.CleanEpochs < 1
                || settings.CleanImagesPerEpoch < 1 || settings.PgdTrainSteps < 1 || steps < 0)
            {
                AnsiConsole.MarkupLine("[red]--epochs, --train-images, --pgd-train-steps, --clean-epochs and --clean-train-images must be ≥ 1, " +
                    "--test-images lie in 1–10000, --measure-steps be ≥ 0.[/]");
                return 2;
            }
            if (!ComputeDevice.TryParse(settings.Device, out _))
            {
                AnsiConsole.MarkupLine($"[red]--device takes cpu, cuda or cuda:N, not '{Markup.Escape(settings.Device)}'.[/]");
                return 2;
            }
            Device resolved;
            try
            {
                resolved = TorchSharpDevices.Resolve(settings.Device);
            }
            catch (DeviceUnavailableException e)
            {
                AnsiConsole.MarkupLine($"[red]{Markup.Escape(e.Message)}[/]");
                return 3;
            }
            set_num_threads(Environment.ProcessorCount);
            LabeledImages train = Mnist.LoadTrain();
            if (steps > 0)
            {
                MeasureSteps(train, steps, settings, resolved);
                return 0;
            }
            Run(settings, train, Mnist.LoadTest().Take(settings.TestImages));
            return 0;
        });
        return command;
    }

    /// <summary>Gets or trains the six models, evaluates them on <paramref name="test"/>, prints the table and writes results.json.</summary>
    internal static IReadOnlyList<Row> Run(Settings settings, LabeledImages train, LabeledImages test)
    {
        var rows = new List<Row>();
        Device device = TorchSharpDevices.Resolve(settings.Device);
        foreach (string architecture in settings.Architectures ?? Architectures)
        {
            TrainingOptions cleanOptions = CleanOptions(settings);
            using var clean = MnistModelCache.GetOrTrain(architecture, cleanOptions, train, device: device);
            int cleanEpochs = MnistModelCache.EpochsCompleted(architecture, cleanOptions);
            string cleanDescription = $"{Path.GetFileName(MnistModelCache.Stem(architecture, cleanOptions))} after {cleanEpochs} epochs";
            rows.Add(Evaluate(clean, architecture, AdversarialTraining.None, $"clean, {cleanEpochs} epochs", test, device));
            foreach (AdversarialTraining method in settings.CleanOnly ? [] : settings.Methods ?? Methods)
            {
                TrainingOptions options = AdversarialOptions(settings, method);
                using var model = MnistModelCache.GetOrTrain(architecture, options, train, (clean, cleanDescription), device);
                string training = $"fine-tuned from {cleanDescription}: " +
                    Budget(options, MnistModelCache.EpochsCompleted(architecture, options), train.Count);
                rows.Add(Evaluate(model, architecture, method, training, test, device));
            }
        }

        PrintTable(rows, settings, test.Count, train.Count);
        Directory.CreateDirectory(settings.Output);
        string path = Path.Combine(settings.Output, "results.json");
        File.WriteAllText(path, JsonSerializer.Serialize(new
        {
            testImages = test.Count,
            fineTuned = "Adversarial models start from the clean model's weights (fine-tuning), unlike the paper's training from scratch.",
            cleanEpochs = settings.CleanEpochs,
            pgdTraining = RecipeJson(AdversarialOptions(settings, AdversarialTraining.Pgd), train.Count),
            adefTraining = RecipeJson(AdversarialOptions(settings, AdversarialTraining.Adef), train.Count),
            trainingPgd = TrainingPgd(settings.PgdTrainSteps),
            trainingAdef = AdefOptions.AdversarialTraining,
            evaluationPgd = new PgdOptions(),
            evaluationAdef = AdefOptions.AdversarialTraining,
            device = device.ToString(),
            threads = Environment.ProcessorCount,
            models = rows,
        }, SampleJson.Options));
        AnsiConsole.MarkupLine($"Wrote {Markup.Escape(Path.GetFullPath(path))}.");
        return rows;
    }

    private static TrainingOptions CleanOptions(Settings settings) => new()
    {
        Epochs = settings.CleanEpochs, FinalEpochsAtTenthRate = Math.Min(2, settings.CleanEpochs), ImagesPerEpoch = settings.CleanImagesPerEpoch,
    };

    /// <summary>
    /// The fine-tuning recipe of <paramref name="method"/>. PGD: Adam <see cref="PgdLearningRate"/> (the last epoch at a
    /// tenth of it) against <see cref="TrainingPgd"/>; ADef: the paper's Adam 1e-4 against the adversarial-training preset.
    /// </summary>
    private static TrainingOptions AdversarialOptions(Settings settings, AdversarialTraining method)
    {
        bool pgd = method == AdversarialTraining.Pgd;
        int epochs = settings.Epochs ?? (pgd ? DefaultPgdEpochs : DefaultAdefEpochs);
        return new TrainingOptions
        {
            Epochs = epochs,
            ImagesPerEpoch = settings.TrainImages ?? (pgd ? DefaultPgdTrainImages : DefaultAdefTrainImages),
            LearningRate = pgd ? PgdLearningRate : new TrainingOptions().LearningRate,
            FinalEpochsAtTenthRate = pgd && epochs > 1 ? 1 : 0,
            AdversarialTraining = method,
            Pgd = TrainingPgd(settings.PgdTrainSteps),
        };
    }

    /// <summary>PGD of PGD training: ε 0.3 with a random start, <paramref name="steps"/> steps of 0.4/<paramref name="steps"/>.</summary>
    internal static PgdOptions TrainingPgd(int steps) => new() { Steps = steps, StepSize = 0.4 / steps };

    /// <summary>"Adam 0.001 (last 1 epoch(s) 0.0001), PGD ε 0.3, 10 × 0.04" and the like.</summary>
    private static string Recipe(TrainingOptions options) => FormattableString.Invariant(
        $"Adam {options.LearningRate}{(options.FinalEpochsAtTenthRate > 0 ? $" (last {options.FinalEpochsAtTenthRate} epoch(s) {options.LearningRate / 10})" : "")}, ") +
        (options.AdversarialTraining == AdversarialTraining.Pgd
            ? $"PGD {MnistModelCache.TrainingPgd(options)}"
            : "ADef ‖τ‖_T ≤ 3 px, σ 1, candidates {1}, 40 iterations");

    private static object RecipeJson(TrainingOptions options, int trainCount) => new
    {
        epochs = options.Epochs,
        imagesPerEpoch = ImagesPerEpoch(options, trainCount),
        learningRate = options.LearningRate,
        finalEpochsAtTenthRate = options.FinalEpochsAtTenthRate,
        batchSize = options.BatchSize,
    };

    /// <summary>Evaluates <paramref name="model"/> on <paramref name="device"/>, leaving it on the CPU as the model cache keeps it.</summary>
    private static Row Evaluate(nn.Module<Tensor, Tensor> model, string architecture, AdversarialTraining method, string training, LabeledImages test,
        Device device)
    {
        string title = MnistModelCache.Title(architecture, new TrainingOptions { AdversarialTraining = method });
        model.to(device);
        try
        {
            using var classifier = new TorchSharpClassifier(model, new ImageShape(1, 28, 28), 10, TorchSharpDevices.ToComputeDevice(device));
            double accuracy = ClassifierAccuracy.Accuracy(classifier, test);
            var (pgd, pgdSeconds) = ConsoleProgress.AttackRunner.Run($"{title}: PGD", test.Count,
                progress => new PgdAttack(classifier, new PgdOptions()).Run(test.Pixels, test.Labels, progress: progress));
            var (adef, adefSeconds) = ConsoleProgress.AttackRunner.Run($"{title}: ADef", test.Count,
                progress => new AdefAttack(classifier, AdefOptions.AdversarialTraining).Run(test.Pixels, test.Labels, progress: progress));
            var pgdSummary = AttackSummary.From(pgd);
            var adefSummary = AttackSummary.From(adef);
            (double Accuracy, double Pgd, double Adef)? paper = Paper.TryGetValue((architecture, method), out var s) ? s : null;
            AnsiConsole.MarkupLine($"{Markup.Escape(title)}: accuracy {accuracy:P2}, PGD success {pgdSummary.SuccessRate:P2}, ADef success {adefSummary.SuccessRate:P2}.");
            return new Row(architecture, method.ToString(), training, accuracy, pgdSummary.SuccessRate, adefSummary.SuccessRate,
                pgdSummary, adefSummary, pgdSeconds, adefSeconds, paper?.Accuracy, paper?.Pgd, paper?.Adef);
        }
        finally
        {
            model.to(CPU);
        }
    }
}
