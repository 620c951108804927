using System.CommandLine;
using System.Text.Json;
using Adef.MLNet;
using Adef.MLNet.Attacks;
using Adef.MLNet.Classifiers;
using Adef.MLNet.Classifiers.Onnx;
using Adef.MLNet.Classifiers.TorchSharp;
using Adef.MLNet.Data;
using Adef.MLNet.Evaluation;
using Adef.MLNet.Training;
using Spectre.Console;
using TorchSharp;
using static TorchSharp.torch;

using Adef.ConsoleProgress;
using Adef.Experiments;

namespace Adef.Samples;

/// <summary>
/// The main job: train MNIST-A (cached), attack test digits with ADef (MNIST preset) and DeepFool,
/// print a table shaped like the ADef paper's, and write results.json and the robustness report (report.md,
/// report.html, report.json and figures; see <see cref="RobustnessReportWriter"/>).
/// </summary>
internal static class MnistCommand
{
    private const double Epsilon = 3;

    public static Command Create()
    {
        var epochs = new Option<int>("--epochs") { Description = "Training epochs of MNIST-A (cached; asking for more resumes).", DefaultValueFactory = _ => 22 };
        var retrain = new Option<bool>("--retrain") { Description = "Train MNIST-A from the start (the paper's 22-epoch schedule by default) instead of using the cached or shipped weights." };
        var images = new Option<int>("--images") { Description = "Test digits to attack (1–10000).", DefaultValueFactory = _ => 1000 };
        var batchSize = new Option<int>("--batch-size") { Description = "Images attacked at once.", DefaultValueFactory = _ => 256 };
        var unbatched = new Option<int>("--compare-unbatched") { Description = "Digits for the batched vs one-at-a-time ADef timing (0 = skip).", DefaultValueFactory = _ => 100 };
        var onnx = new Option<bool>("--onnx") { Description = "Also export MNIST-A to ONNX and run ADef through ONNX Runtime on the same digits.", DefaultValueFactory = _ => true };
        var device = new Option<string>("--device") { Description = "cpu, cuda or cuda:N: where MNIST-A and the attacks run (TorchSharp; CUDA needs a CUDA libtorch).", DefaultValueFactory = _ => "cpu" };
        var output = new Option<string>("--out") { Description = "Output folder for results.json and figures.", DefaultValueFactory = _ => Path.Combine("out", "mnist") };
        var command = new Command("mnist", "Attack test digits with ADef and DeepFool on MNIST-A (shipped, cached or trained), write results and figures.");
        foreach (Option option in new Option[] { epochs, retrain, images, batchSize, unbatched, onnx, device, output }) command.Options.Add(option);
        command.SetAction(parse => Run(parse.GetValue(epochs), parse.GetValue(retrain), parse.GetValue(images), parse.GetValue(batchSize),
            parse.GetValue(unbatched), parse.GetValue(onnx), parse.GetValue(device)!, parse.GetValue(output)!));
        return command;
    }

    private static int Run(int epochs, bool retrain, int imageCount, int batchSize, int unbatchedCount, bool compareOnnx, string deviceText, string outputFolder)
    {
        if (imageCount is < 1 or > 10000 || batchSize < 1 || unbatchedCount < 0 || epochs < 1)
        {
            AnsiConsole.MarkupLine("[red]--images must lie in 1–10000, --batch-size and --epochs be ≥ 1, --compare-unbatched ≥ 0.[/]");
            return 2;
        }
        if (!ComputeDevice.TryParse(deviceText, out ComputeDevice device))
        {
            AnsiConsole.MarkupLine($"[red]--device must be cpu, cuda or cuda:N, not '{Markup.Escape(deviceText)}'.[/]");
            return 2;
        }
        try
        {
            return Run(epochs, retrain, imageCount, batchSize, unbatchedCount, compareOnnx, device, outputFolder);
        }
        catch (DeviceUnavailableException e)
        {
            AnsiConsole.MarkupLine($"[red]Error:[/] {Markup.Escape(e.Message)}");
            return 2;
        }
    }

    private static int Run(int epochs, bool retrain, int imageCount, int batchSize, int unbatchedCount, bool compareOnnx, ComputeDevice device, string outputFolder)
    {
        set_num_threads(Environment.ProcessorCount);
        LabeledImages train = Mnist.LoadTrain();
        LabeledImages fullTest = Mnist.LoadTest();
        AnsiConsole.MarkupLine($"MNIST ({Markup.Escape(Mnist.NpmPackage)}, cache {Markup.Escape(DataCache.Root)}): {train.Count} training, {fullTest.Count} test digits.");

        // The paper's Adam at 1e-4 plateaus at about 99.06 % here; two final epochs at 1e-5 reach the paper's range.
        var trainingOptions = new TrainingOptions { Epochs = epochs, FinalEpochsAtTenthRate = Math.Min(2, epochs) };
        using var model = MnistModelCache.GetOrTrain("MNIST-A", trainingOptions, train, retrain: retrain);
        using var classifier = new TorchSharpClassifier(model, new ImageShape(1, 28, 28), 10, device);
        if (device.Kind != ComputeDeviceKind.Cpu) AnsiConsole.MarkupLine($"MNIST-A runs on {device}; the attacks keep their images, fields and gradients there.");
        double accuracy = ClassifierAccuracy.Accuracy(classifier, fullTest);
        AnsiConsole.MarkupLine($"MNIST-A after {MnistModelCache.EpochsCompleted("MNIST-A", trainingOptions)} epochs: test accuracy [bold]{accuracy:P2}[/] on {fullTest.Count} digits.");

        LabeledImages test = fullTest.Take(imageCount);
        var adefOptions = AdefOptions.Mnist with { BatchSize = batchSize };
        var (adef, adefSeconds) = AttackRunner.Run("ADef", test.Count,
            progress => new AdefAttack(classifier, adefOptions).Run(test.Pixels, test.Labels, progress: progress));
        var deepFoolOptions = new DeepFoolOptions { BatchSize = batchSize };
        var (deepFool, deepFoolSeconds) = AttackRunner.Run("DeepFool", test.Count,
            progress => new DeepFoolAttack(classifier, deepFoolOptions).Run(test.Pixels, test.Labels, progress: progress));

        BatchingComparison? batching = unbatchedCount > 0
            ? CompareBatching(classifier, fullTest.Take(Math.Min(unbatchedCount, imageCount)), adefOptions)
            : null;

        Directory.CreateDirectory(outputFolder);
        if (compareOnnx && device.Kind != ComputeDeviceKind.Cpu) model.to(CPU); // the exporter reads the weights on the host
        BackendComparison? onnxComparison = compareOnnx
            ? CompareOnnx((MnistA)model, test, adefOptions, Path.Combine(outputFolder, "mnist-a.onnx"))
            : null;

        var adefSummary = AttackSummary.From(adef);
        var deepFoolSummary = AttackSummary.From(deepFool);
        double withinEpsilon = AttackSummary.SuccessRateWithinTNorm(adef, Epsilon);
        PrintTable(accuracy, test.Count, adefSummary, adefSeconds, withinEpsilon, deepFoolSummary, deepFoolSeconds);
        if (batching is not null)
            AnsiConsole.MarkupLine(
                $"Batching (first {batching.Images} digits, ADef MNIST preset): batch {batchSize}: {batching.BatchedImagesPerSecond:0.0} img/s, " +
                $"one at a time: {batching.UnbatchedImagesPerSecond:0.0} img/s → [bold]{batching.Speedup:0.00}×[/]");

        if (onnxComparison is not null)
            AnsiConsole.MarkupLine(
                $"ADef through ONNX Runtime ({Markup.Escape(onnxComparison.ModelPath)}): success {onnxComparison.Summary.SuccessRate:P2} " +
                $"(TorchSharp {adefSummary.SuccessRate:P2}), mean iterations {onnxComparison.Summary.MeanIterations:0.000} " +
                $"(TorchSharp {adefSummary.MeanIterations:0.000}), {onnxComparison.ImagesPerSecond:0.0} img/s (TorchSharp {test.Count / adefSeconds:0.0}).");

        // The report's numbers object is also serialised into results.json, so the two cannot disagree.
        var examples = adef.Where(r => r.Success).Take(6).Select(r => new ExampleRow(
            test.Image(r.Index).ToArray(), r.AdversarialImage, r.VectorField,
            r.OriginalLabel.ToString(), r.AdversarialLabel.ToString(), r.TNorm)).ToList();
        WrittenRobustnessReport written = RobustnessReportWriter.Write(outputFolder, "MNIST-A",
            RobustnessReport.From(adef, test.Labels), RobustnessReport.From(deepFool, test.Labels), examples, new ImageDisplay(new ImageShape(1, 28, 28)),
            new RobustnessReportOptions
            {
                Epsilon = Epsilon,
                DatasetDescription = $"The first {test.Count} MNIST test digits; ADef with the paper's MNIST preset, DeepFool in ℓ2.",
            });

        string resultsPath = Path.Combine(outputFolder, "results.json");
        var report = new
        {
            model = "MNIST-A",
            trainingEpochs = epochs,
            training = trainingOptions,
            testAccuracy = accuracy,
            testImages = fullTest.Count,
            attackedImages = test.Count,
            threads = Environment.ProcessorCount,
            device = device.ToString(),
            adef = new
            {
                options = adefOptions,
                summary = adefSummary,
                successRate = adefSummary.SuccessRate,
                successRateWithinEpsilon = withinEpsilon,
                epsilon = Epsilon,
                seconds = adefSeconds,
                imagesPerSecond = test.Count / adefSeconds,
            },
            deepFool = new
            {
                options = deepFoolOptions,
                summary = deepFoolSummary,
                successRate = deepFoolSummary.SuccessRate,
                seconds = deepFoolSeconds,
                imagesPerSecond = test.Count / deepFoolSeconds,
            },
            batching,
            onnx = onnxComparison,
            paper = new { accuracy = 0.9941, adefSuccess = 0.9990, adefIterations = 9.779 },
            report = written.Numbers,
        };
        File.WriteAllText(resultsPath, JsonSerializer.Serialize(report, SampleJson.Options));

        AnsiConsole.MarkupLine($"Wrote {Markup.Escape(Path.GetFullPath(resultsPath))} and the report: " +
            Markup.Escape(string.Join(", ", written.Files.Select(Path.GetFileName))) + ".");
        return 0;
    }


    private sealed record BatchingComparison(int Images, int BatchSize, double BatchedImagesPerSecond, double UnbatchedImagesPerSecond)
    {
        public double Speedup => BatchedImagesPerSecond / UnbatchedImagesPerSecond;
    }

    private sealed record BackendComparison(string ModelPath, AttackSummary Summary, double Seconds, double ImagesPerSecond);

    private static BackendComparison CompareOnnx(MnistA model, LabeledImages digits, AdefOptions options, string modelPath)
    {
        MnistOnnxExporter.Save(model, modelPath);
        using var classifier = new OnnxClassifier(modelPath);
        var (results, seconds) = AttackRunner.Run("ADef (ONNX Runtime)", digits.Count,
            progress => new AdefAttack(classifier, options).Run(digits.Pixels, digits.Labels, progress: progress));
        return new BackendComparison(modelPath, AttackSummary.From(results), seconds, digits.Count / seconds);
    }

    private static BatchingComparison CompareBatching(IDifferentiableClassifier classifier, LabeledImages digits, AdefOptions options)
    {
        var (_, batchedSeconds) = AttackRunner.Run($"ADef batch {options.BatchSize}", digits.Count,
            progress => new AdefAttack(classifier, options).Run(digits.Pixels, digits.Labels, progress: progress));
        var (_, unbatchedSeconds) = AttackRunner.Run("ADef one at a time", digits.Count,
            progress => new AdefAttack(classifier, options with { BatchSize = 1 }).Run(digits.Pixels, digits.Labels, progress: progress));
        return new BatchingComparison(digits.Count, options.BatchSize, digits.Count / batchedSeconds, digits.Count / unbatchedSeconds);
    }

    private static void PrintTable(double accuracy, int images, AttackSummary adef, double adefSeconds, double withinEpsilon,
        AttackSummary deepFool, double deepFoolSeconds)
    {
        var paperTable = new Table().Title($"ADef on MNIST ({images} test digits, MNIST preset)");
        foreach (string column in new[] { "Model", "Accuracy", "ADef success", "Avg. # iterations" })
            paperTable.AddColumn(new TableColumn(column).RightAligned());
        paperTable.AddRow("MNIST-A (this run)", $"{accuracy:P2}", $"{adef.SuccessRate:P2}", $"{adef.MeanIterations:0.000}");
        paperTable.AddRow("MNIST-CNN (paper)", "99.41%", "99.90%", "9.779");
        AnsiConsole.Write(paperTable);

        var details = new Table().Title("Norms and speed (means over successful attacks)");
        foreach (string column in new[] { "Attack", "Success", "Mean iterations", "Mean ‖τ‖_T (px)", $"Success with ‖τ‖_T ≤ {Epsilon}", "Mean pixel ℓ2", "Images/s" })
            details.AddColumn(new TableColumn(Markup.Escape(column)).RightAligned());
        details.AddRow("ADef", $"{adef.SuccessRate:P2}", $"{adef.MeanIterations:0.000}", $"{adef.MeanTNorm:0.000}",
            $"{withinEpsilon:P2}", $"{adef.MeanPixelL2:0.000}", $"{images / adefSeconds:0.0}");
        details.AddRow("DeepFool ℓ2", $"{deepFool.SuccessRate:P2}", $"{deepFool.MeanIterations:0.000}", "–", "–",
            $"{deepFool.MeanPixelL2:0.000}", $"{images / deepFoolSeconds:0.0}");
        AnsiConsole.Write(details);
    }
}
