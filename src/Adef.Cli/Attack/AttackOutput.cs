using Adef.Cluster;
using Adef.MLNet.Classifiers;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Adef.MLNet.Attacks;
using Adef.MLNet.Classifiers.Onnx;
using Adef.MLNet.Data;
using Adef.MLNet.Evaluation;
using CsvHelper;
using Spectre.Console;

namespace Adef.Cli;

/// <summary>What the attack command writes besides results.csv: the adversarial PNGs, summary.json, examples.png and the table it prints.</summary>
internal static class AttackOutput
{
    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = true,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Converters = { new JsonStringEnumConverter() },
    };

    /// <summary>The adversarial PNG's path relative to the output folder: the input's name with the extension .png.</summary>
    public static string PngName(string imageName) => Path.ChangeExtension(imageName, ".png");

    /// <summary>
    /// Saves the rows' adversarial PNGs and appends the rows to results.csv, each PNG before its row (a listed image always
    /// has its file), then flushes.
    /// </summary>
    /// <param name="csv">The results.csv writer.</param>
    /// <param name="rows">Finished images (an unreadable one has no PNG).</param>
    /// <param name="outDir">The output folder.</param>
    /// <param name="names">Class names for results.csv's name columns, or null for none.</param>
    /// <param name="layout">The columns of results.csv.</param>
    public static void WriteRows(CsvWriter csv, IEnumerable<ResultRow> rows, string outDir, ClassLabels? names, ResultsCsv.Layout layout)
    {
        foreach (ResultRow row in rows)
        {
            if (row.Png is { } png)
            {
                string path = Path.Combine(outDir, PngName(row.File));
                Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
                File.WriteAllBytes(path, png);
            }
            ResultsCsv.Write(csv, row, names, layout.Valid);
        }
        csv.Flush();
    }

    /// <summary>The run's facts for summary.json, beside those that come from results.csv.</summary>
    /// <param name="Unreadable">This run's files that could not be decoded, with the reason.</param>
    /// <param name="Cluster">How the cluster ran the job, or null for a run in this process.</param>
    internal sealed record RunFacts(AttackSettings Settings, OnnxClassifier Classifier, InputFormat Format, ImageSource Source,
        AttackOptions Options, bool Interrupted, double Seconds, int Attacked, long PeakWorkingSet,
        IReadOnlyList<(string File, string Reason)> Unreadable, object? Cluster = null);

    /// <summary>The numbers of the whole results.csv (a resumed run reports on every image).</summary>
    /// <param name="PngShareOfSuccesses">Of the successes, the share whose PNG, read back, still fools.</param>
    /// <param name="Unreadable">Rows of files that could not be decoded (not counted in the accuracy or the attack's numbers).</param>
    internal sealed record Totals(int Images, int Labelled, double Accuracy, AttackSummary Summary, double PngSuccessRate, double ImagesPerSecond,
        double PngShareOfSuccesses = double.NaN, int Unreadable = 0)
    {
        public static Totals Of(IReadOnlyList<ResultsCsv.Row> rows, int attacked, double seconds)
        {
            IReadOnlyList<ResultsCsv.Row> read = ResultsCsv.Readable(rows);
            AttackSummary summary = ResultsCsv.Summarise(read);
            int labelled = read.Count(r => r.Truth is not null);
            int correct = read.Count(r => r.Truth is { } t && t == r.Original);
            int fooledAfterRounding = read.Count(r => r.FooledAfterRounding);
            return new Totals(rows.Count, labelled, labelled == 0 ? double.NaN : (double)correct / labelled, summary,
                summary.Attacked == 0 ? double.NaN : (double)fooledAfterRounding / summary.Attacked, attacked / seconds,
                summary.Fooled == 0 ? double.NaN : (double)fooledAfterRounding / summary.Fooled, rows.Count - read.Count);
        }
    }

    public static void WriteSummary(string path, RunFacts run, Totals totals)
    {
        AttackSettings s = run.Settings;
        var shape = run.Classifier.InputShape;
        ImagePreprocessing p = run.Format.Preprocessing;
        var report = new
        {
            model = Path.GetFullPath(s.Model!),
            inputName = run.Classifier.InputName,
            logitsName = run.Classifier.LogitsName,
            inputShape = new { channels = shape.Channels, height = shape.Height, width = shape.Width },
            classes = run.Classifier.ClassCount,
            modelWarnings = run.Classifier.Warnings,
            images = Path.GetFullPath(s.Images!),
            labels = run.Source.LabelsPath,
            classNames = s.ClassNames is null ? null : Path.GetFullPath(s.ClassNames),
            targets = s.Targets is null ? null : Path.GetFullPath(s.Targets),
            preprocessing = new
            {
                width = run.Format.Width, height = run.Format.Height, scale = p.Scale,
                mean = p.Mean, std = p.Std, channels = p.Order.ToString().ToLowerInvariant(),
            },
            attack = s.AttackName,
            preset = s.Preset,
            options = (object)run.Options,
            imageCount = totals.Images,
            unreadableCount = totals.Unreadable,
            unreadable = run.Unreadable.Select(u => new { file = u.File, reason = u.Reason }),
            cluster = run.Cluster,
            interrupted = run.Interrupted,
            labelled = totals.Labelled,
            accuracy = totals.Accuracy,
            summary = totals.Summary,
            successRate = totals.Summary.SuccessRate,
            meanIterations = totals.Summary.MeanIterations,
            meanTNorm = totals.Summary.MeanTNorm,
            pngSuccessRate = totals.PngSuccessRate,
            validImages = s.ValidImages,
            pngShareOfSuccesses = totals.PngShareOfSuccesses,
            seconds = run.Seconds,
            imagesPerSecond = totals.ImagesPerSecond,
            peakWorkingSetBytes = run.PeakWorkingSet,
        };
        File.WriteAllText(path, JsonSerializer.Serialize(report, JsonOptions));
    }

    /// <summary>examples.png: the clean image, the adversarial one and the field of each example.</summary>
    /// <param name="path">The PNG to write.</param>
    /// <param name="format">The model's input format.</param>
    /// <param name="examples">Successful ADef results with their clean images.</param>
    /// <param name="names">How the panels name the classes.</param>
    public static void WriteExamples(string path, InputFormat format, IReadOnlyList<(float[] Clean, AdefResult Result)> examples, ClassLabels names)
    {
        ImagePreprocessing p = format.Preprocessing;
        var grid = examples.Select(e => new ExampleRow(
            p.ToDisplay(e.Clean), p.ToDisplay(e.Result.AdversarialImage), e.Result.VectorField,
            names[e.Result.OriginalLabel], names[e.Result.AdversarialLabel], e.Result.TNorm)).ToList();
        AttackFigures.SaveExampleGrid(path, grid, new ImageDisplay(new ImageShape(format.Channels, format.Height, format.Width)));
    }

    public static void PrintTable(string attack, Totals totals)
    {
        AttackSummary summary = totals.Summary;
        var table = new Table().Title($"{(attack == "adef" ? "ADef" : "DeepFool")} on {totals.Images} image(s)");
        table.AddColumn("Measure");
        table.AddColumn(new TableColumn("Value").RightAligned());
        void Row(string name, string value) => table.AddRow(Markup.Escape(name), Markup.Escape(value));
        if (totals.Unreadable > 0) Row("Unreadable files (not attacked)", totals.Unreadable.ToString(CultureInfo.InvariantCulture));
        Row("Clean accuracy", totals.Labelled == 0 ? "– (no labels)" : $"{totals.Accuracy:P2} of {totals.Labelled}");
        Row("Attacked", summary.Attacked.ToString(CultureInfo.InvariantCulture));
        Row("Fooled", summary.Fooled.ToString(CultureInfo.InvariantCulture));
        Row("Success rate", $"{summary.SuccessRate:P2}");
        Row("Mean iterations (successes)", $"{summary.MeanIterations:0.000}");
        if (attack == "adef")
        {
            Row("Mean ‖τ‖_T (px)", $"{summary.MeanTNorm:0.000}");
            Row("Median ‖τ‖_T (px)", $"{summary.MedianTNorm:0.000}");
        }
        Row("Mean ℓ2 change (input space)", $"{summary.MeanPixelL2:0.000}");
        Row("Mean ℓ∞ change (input space)", $"{summary.MeanPixelLInf:0.000}");
        Row("Success after rounding to PNG bytes", $"{totals.PngSuccessRate:P2}");
        Row("Successes that fool as PNG", $"{totals.PngShareOfSuccesses:P2}");
        Row("Images/s (attack only)", $"{totals.ImagesPerSecond:0.00}");
        AnsiConsole.Write(table);
    }
}
