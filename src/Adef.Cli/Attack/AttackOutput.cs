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
    /// Saves a batch of finished images as PNGs, re-classifies the rounded PNG bytes (to see whether the attack survives
    /// the quantisation) and appends their rows to results.csv.
    /// </summary>
    /// <param name="csv">The results.csv writer.</param>
    /// <param name="classifier">The attacked model.</param>
    /// <param name="format">The model's input format.</param>
    /// <param name="source">The images.</param>
    /// <param name="todo">The source index of each attacked image (results index into it).</param>
    /// <param name="batch">The finished results.</param>
    /// <param name="outDir">The output folder.</param>
    /// <param name="names">Class names for results.csv's name columns, or null for none.</param>
    /// <param name="layout">The columns of results.csv.</param>
    public static void WriteBatch(CsvWriter csv, OnnxClassifier classifier, InputFormat format, ImageSource source, int[] todo,
        IReadOnlyList<AttackResult> batch, string outDir, ClassLabels? names, ResultsCsv.Layout layout = default)
    {
        int length = format.ImageLength;
        var quantised = new float[batch.Count * length];
        for (int i = 0; i < batch.Count; i++)
        {
            byte[] rgba = format.Preprocessing.Denormalize(batch[i].AdversarialImage);
            string png = Path.Combine(outDir, PngName(source.Names[todo[batch[i].Index]]));
            ImageFiles.SavePng(png, rgba, format.Width, format.Height);
            // The file read back, not the bytes written: png_label is what a user of the PNG gets.
            format.Preprocessing.Normalize(ImageFiles.DecodeResized(png, format.Width, format.Height), quantised.AsSpan(i * length, length));
        }
        int[] pngLabels = ClassifierAccuracy.Predict(classifier, quantised, batch.Count, batch.Count);
        for (int i = 0; i < batch.Count; i++)
        {
            int image = todo[batch[i].Index];
            ResultsCsv.Write(csv, source.Names[image], batch[i], source.TrueLabels[image], pngLabels[i], names, layout.Valid);
        }
        csv.Flush();
    }

    /// <summary>The run's facts for summary.json, beside those that come from results.csv.</summary>
    internal sealed record RunFacts(AttackSettings Settings, OnnxClassifier Classifier, InputFormat Format, ImageSource Source,
        AttackOptions Options, bool Interrupted, double Seconds, int Attacked, long PeakWorkingSet);

    /// <summary>The numbers of the whole results.csv (a resumed run reports on every image).</summary>
    /// <param name="PngShareOfSuccesses">Of the successes, the share whose PNG, read back, still fools.</param>
    internal sealed record Totals(int Images, int Labelled, double Accuracy, AttackSummary Summary, double PngSuccessRate, double ImagesPerSecond,
        double PngShareOfSuccesses = double.NaN)
    {
        public static Totals Of(IReadOnlyList<ResultsCsv.Row> rows, int attacked, double seconds)
        {
            AttackSummary summary = ResultsCsv.Summarise(rows);
            int labelled = rows.Count(r => r.Truth is not null);
            int correct = rows.Count(r => r.Truth is { } t && t == r.Original);
            int fooledAfterRounding = rows.Count(r => r.FooledAfterRounding);
            return new Totals(rows.Count, labelled, labelled == 0 ? double.NaN : (double)correct / labelled, summary,
                summary.Attacked == 0 ? double.NaN : (double)fooledAfterRounding / summary.Attacked, attacked / seconds,
                summary.Fooled == 0 ? double.NaN : (double)fooledAfterRounding / summary.Fooled);
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
    /// <param name="pixels">The attacked images, in the order the results index.</param>
    /// <param name="examples">Successful ADef results.</param>
    /// <param name="names">How the panels name the classes.</param>
    public static void WriteExamples(string path, InputFormat format, float[] pixels, IReadOnlyList<AdefResult> examples, ClassLabels names)
    {
        int length = format.ImageLength;
        ImagePreprocessing p = format.Preprocessing;
        var grid = examples.Select(r => new ExampleRow(
            p.ToDisplay(pixels.AsSpan(r.Index * length, length)), p.ToDisplay(r.AdversarialImage), r.VectorField,
            names[r.OriginalLabel], names[r.AdversarialLabel], r.TNorm)).ToList();
        AttackFigures.SaveExampleGrid(path, grid, new ImageDisplay(new ImageShape(format.Channels, format.Height, format.Width)));
    }

    public static void PrintTable(string attack, Totals totals)
    {
        AttackSummary summary = totals.Summary;
        var table = new Table().Title($"{(attack == "adef" ? "ADef" : "DeepFool")} on {totals.Images} image(s)");
        table.AddColumn("Measure");
        table.AddColumn(new TableColumn("Value").RightAligned());
        void Row(string name, string value) => table.AddRow(Markup.Escape(name), Markup.Escape(value));
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
