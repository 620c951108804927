using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Adef.MLNet.Attacks;
using Adef.MLNet.Classifiers.Onnx;
using Adef.MLNet.Classifiers;
using Adef.MLNet.Data;
using Adef.MLNet.Evaluation;
using Spectre.Console;

using Adef.ConsoleProgress;
using Adef.Experiments;

namespace Adef.Samples;

/// <summary>
/// The ADef paper's first table for ImageNet-class models: ADef (ImageNet preset) on the labelled photos under
/// <c>../shared/data/imagenet</c> against the ONNX classifiers under <c>../shared/data/models</c>, warping in each
/// model's input space after its normalisation. The paper's Inception-v3 and ResNet-101 are not available here;
/// SqueezeNet 1.1 and MobileNetV2 stand in for them (see ../shared/data/README.md).
/// </summary>
internal static class ImageNetCommand
{
    /// <summary>An ImageNet-class model under the shared data folder and the preprocessing it was trained with.</summary>
    internal sealed record ModelSpec(string Name, string RelativePath, string Logits, ImagePreprocessing Preprocessing)
    {
        /// <summary>The models' input: the photos are resized to 224×224.</summary>
        public ImageShape Shape => new(Preprocessing.Channels, 224, 224);
    }

    /// <summary>The two stand-ins: preprocessing as ../shared/data/README.md documents it.</summary>
    internal static readonly ModelSpec[] Models =
    [
        new("SqueezeNet 1.1", "models/squeezenet1.1/squeezenet1.1_fp32_batchN_logits.onnx", "pool10_1",
            new ImagePreprocessing(ChannelOrder.Bgr, 255, [104, 117, 123], [1, 1, 1])),
        new("MobileNetV2", "models/mobilenetv2/mobilenetv2-12-int8_dequantized_fp32.onnx", "output",
            new ImagePreprocessing(ChannelOrder.Rgb, 1, [0.485, 0.456, 0.406], [0.229, 0.224, 0.225])),
    ];

    /// <summary>The paper's rows (Accuracy, ADef success, average iterations).</summary>
    private static readonly (string Model, string Accuracy, string Success, string Iterations)[] PaperRows =
    [
        ("Inception-v3 (paper)", "77.56%", "98.94%", "4.050"),
        ("ResNet-101 (paper)", "76.97%", "99.78%", "4.176"),
    ];

    public static Command Create()
    {
        var data = new Option<string>("--data") { Description = "The shared experiment data folder (holds models/ and imagenet/).", DefaultValueFactory = _ => Path.Combine("..", "shared", "data") };
        var output = new Option<string>("--out") { Description = "Output folder for results.json.", DefaultValueFactory = _ => Path.Combine("out", "imagenet") };
        var batchSize = new Option<int>("--batch-size") { Description = "Images sent to the model at once.", DefaultValueFactory = _ => 8 };
        var limit = new Option<int>("--limit") { Description = "Use only the first N photos (0 = all).", DefaultValueFactory = _ => 0 };
        var command = new Command("imagenet", "ADef (ImageNet preset) on ImageNet-class ONNX models and labelled photos: the ADef paper's first table.");
        foreach (Option option in new Option[] { data, output, batchSize, limit }) command.Options.Add(option);
        command.SetAction(parse => Run(parse.GetValue(data)!, parse.GetValue(output)!, parse.GetValue(batchSize), parse.GetValue(limit)));
        return command;
    }

    /// <summary>One model's row of the table.</summary>
    internal sealed record ModelRow(string Model, string Path, int Images, double Accuracy, AttackSummary Summary, double Seconds)
    {
        public double SuccessRate => Summary.SuccessRate;
        public double MeanIterations => Summary.MeanIterations;
        public double ImagesPerSecond => Images / Seconds;
    }

    private static int Run(string dataFolder, string outputFolder, int batchSize, int limit)
    {
        try
        {
            return Execute(dataFolder, outputFolder, batchSize, limit);
        }
        catch (Exception e) when (e is Adef.MLNet.InvalidInputException or IOException or NotSupportedException)
        {
            AnsiConsole.MarkupLine($"[red]Error:[/] {Markup.Escape(e.Message)}");
            return 2;
        }
    }

    private static int Execute(string dataFolder, string outputFolder, int batchSize, int limit)
    {
        string photos = Path.Combine(dataFolder, "imagenet");
        string labels = Path.Combine(photos, "labels.csv");
        if (!File.Exists(labels))
        {
            AnsiConsole.MarkupLine($"[red]Error:[/] {Markup.Escape(labels)} does not exist. This command needs the shared experiment data " +
                                   "(ImageNet-class ONNX models and labelled photos); pass its folder with --data.");
            return 2;
        }
        if (batchSize < 1 || limit < 0)
        {
            AnsiConsole.MarkupLine("[red]Error:[/] --batch-size must be ≥ 1 and --limit ≥ 0.");
            return 2;
        }

        var rows = new List<ModelRow>();
        foreach (ModelSpec spec in Models)
        {
            string modelPath = Path.Combine(dataFolder, spec.RelativePath);
            if (!File.Exists(modelPath))
            {
                AnsiConsole.MarkupLine($"[yellow]{Markup.Escape(spec.Name)}: {Markup.Escape(modelPath)} is missing; skipped.[/]");
                continue;
            }
            rows.Add(Evaluate(spec, modelPath, photos, labels, batchSize, limit, outputFolder));
        }
        if (rows.Count == 0)
        {
            AnsiConsole.MarkupLine("[red]Error:[/] none of the models was found.");
            return 2;
        }

        PrintTable(rows);
        Directory.CreateDirectory(outputFolder);
        string resultsPath = Path.Combine(outputFolder, "results.json");
        var results = new
        {
            preset = AdefOptions.ImageNet with { BatchSize = batchSize },
            photos = Path.GetFullPath(photos),
            models = rows.Select(r => new
            {
                model = r.Model, path = Path.GetFullPath(r.Path), images = r.Images, accuracy = r.Accuracy,
                successRate = r.SuccessRate, meanIterations = r.MeanIterations, summary = r.Summary,
                seconds = r.Seconds, imagesPerSecond = r.ImagesPerSecond,
            }),
            paper = new[]
            {
                new { model = "Inception-v3", accuracy = 0.7756, successRate = 0.9894, meanIterations = 4.050 },
                new { model = "ResNet-101", accuracy = 0.7697, successRate = 0.9978, meanIterations = 4.176 },
            },
        };
        File.WriteAllText(resultsPath, JsonSerializer.Serialize(results, SampleJson.Options));
        AnsiConsole.MarkupLine($"Wrote {Markup.Escape(Path.GetFullPath(resultsPath))}.");
        return 0;
    }

    /// <summary>Budget line of the per-model reports: ImageNet deformations are far smaller than MNIST's 3 px.</summary>
    private const double ReportEpsilon = 1;

    private static ModelRow Evaluate(ModelSpec spec, string modelPath, string photos, string labels, int batchSize, int limit,
        string outputFolder)
    {
        using var classifier = new OnnxClassifier(modelPath, new OnnxClassifierOptions { LogitsOutputName = spec.Logits });
        ImageSource source = ImageSource.Open(photos, spec.Shape.Width, spec.Shape.Height, labels, limit > 0 ? limit : null);
        if (source.Count == 0) throw new Adef.MLNet.DataFileException($"No PNG or JPEG photos found in '{photos}'.", photos);
        int[] trueLabels = source.TrueLabels.Select((l, i) => l ?? throw new Adef.MLNet.DataFileException(
            $"{source.Names[i]} has no label in {labels}.", labels)).ToArray();
        var pixels = new float[source.Count * spec.Shape.Size];
        source.ReadNormalized(0, source.Count, spec.Preprocessing, pixels);
        AnsiConsole.MarkupLine($"{Markup.Escape(spec.Name)}: {source.Count} photos, input '{Markup.Escape(classifier.InputName)}' " +
                               $"{classifier.InputShape}, logits '{Markup.Escape(classifier.LogitsName)}'.");
        var attack = new AdefAttack(classifier, AdefOptions.ImageNet with { BatchSize = batchSize });
        var (results, seconds) = AttackRunner.Run($"ADef {spec.Name}", source.Count,
            progress => attack.Run(pixels, trueLabels, progress: progress));
        double accuracy = (double)results.Count(r => r.Outcome != AttackOutcome.AlreadyMisclassified) / results.Length;
        WriteReport(spec, pixels, results, trueLabels, ClassNames(photos), outputFolder);
        return new ModelRow(spec.Name, modelPath, results.Length, accuracy, AttackSummary.From(results), seconds);
    }

    /// <summary>The robustness report of one model (report.md/.html/.json and figures) in a subfolder named after it.</summary>
    private static void WriteReport(ModelSpec spec, float[] pixels, AdefResult[] results, int[] trueLabels,
        IReadOnlyList<string>? classNames, string outputFolder)
    {
        if (!results.Any(r => r.Outcome != AttackOutcome.AlreadyMisclassified)) return; // nothing attacked, nothing to report
        ImagePreprocessing p = spec.Preprocessing;
        int length = spec.Shape.Size;
        string Name(int label) => classNames is not null && label < classNames.Count ? classNames[label] : label.ToString(CultureInfo.InvariantCulture);
        var examples = results.Where(r => r.Success).Take(4).Select(r => new ExampleRow(
            p.ToDisplay(pixels.AsSpan(r.Index * length, length)), p.ToDisplay(r.AdversarialImage), r.VectorField,
            Name(r.OriginalLabel), Name(r.AdversarialLabel), r.TNorm)).ToList();
        string folder = Path.Combine(outputFolder, string.Concat(spec.Name.ToLowerInvariant().Where(char.IsLetterOrDigit)));
        WrittenRobustnessReport written = RobustnessReportWriter.Write(folder, spec.Name, RobustnessReport.From(results, trueLabels), null,
            examples, new ImageDisplay(spec.Shape),
            new RobustnessReportOptions
            {
                Epsilon = ReportEpsilon,
                DatasetDescription = $"{results.Length} labelled photos (ImageNet classes); ADef with the paper's ImageNet preset in the model's normalised input space.",
            });
        AnsiConsole.MarkupLine($"{Markup.Escape(spec.Name)}: report in {Markup.Escape(Path.GetFullPath(folder))} ({written.Files.Count} files).");
    }

    /// <summary>Class names from <c>synset_words.txt</c> beside the photos ("n02510455 giant panda, panda, ..." → "giant panda,
    /// panda, ..."; the figures shorten them to fit), or null when it is absent.</summary>
    private static IReadOnlyList<string>? ClassNames(string photos)
    {
        string path = Path.Combine(photos, "synset_words.txt");
        return File.Exists(path) ? ClassNameFile.Read(path) : null;
    }

    private static void PrintTable(IReadOnlyList<ModelRow> rows)
    {
        var table = new Table().Title("ADef on ImageNet-class models (ImageNet preset: candidates {1}, σ 1, overshoot 1.1, 100 iterations)");
        foreach (string column in new[] { "Model", "Images", "Accuracy", "ADef success", "Avg. # iterations", "Mean ‖τ‖_T (px)", "Images/s" })
            table.AddColumn(new TableColumn(Markup.Escape(column)).RightAligned());
        foreach (ModelRow row in rows)
            table.AddRow(Markup.Escape(row.Model), $"{row.Images}", Percent(row.Accuracy), Percent(row.SuccessRate),
                row.MeanIterations.ToString("0.000", CultureInfo.InvariantCulture),
                row.Summary.MeanTNorm.ToString("0.000", CultureInfo.InvariantCulture),
                row.ImagesPerSecond.ToString("0.00", CultureInfo.InvariantCulture));
        foreach (var paper in PaperRows)
            table.AddRow(paper.Model, "ImageNet val.", paper.Accuracy, paper.Success, paper.Iterations, "–", "–");
        AnsiConsole.Write(table);
        AnsiConsole.MarkupLine("Accuracy is top-1 on the labelled photos; success counts the photos classified correctly (the others are not attacked); " +
                               "iterations and ‖τ‖_T are means over successful attacks.");
    }

    private static string Percent(double value) => value.ToString("0.00%", CultureInfo.InvariantCulture);
}
