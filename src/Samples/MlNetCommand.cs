using System.CommandLine;
using System.Diagnostics;
using Adef.MLNet.Attacks;
using Adef.MLNet.Classifiers.Onnx;
using Adef.MLNet.Classifiers.TorchSharp;
using Adef.MLNet.Data;
using Adef.MLNet.Evaluation;
using Adef.MLNet.Transforms;
using Adef.MLNet.Training;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms.Image;
using Spectre.Console;

using Adef.Experiments;

namespace Adef.Samples;

/// <summary>
/// ADef as an ML.NET pipeline: writes MNIST test digits as PNG files, reads them with ML.NET's own image front end
/// (<c>LoadImages</c> → <c>ResizeImages</c> → <c>ExtractPixels</c>), attacks them with <c>mlContext.Transforms.Adef</c> against MNIST-A exported to ONNX, confirms
/// the adversarial labels with <c>ApplyOnnxModel</c>, prints a <see cref="RobustnessReport"/>, saves and
/// reloads the pipeline with <see cref="AttackPipeline"/>, builds an augmented training set, and optionally times
/// the transform against calling <see cref="AdefAttack"/> directly.
/// </summary>
internal static class MlNetCommand
{
    public static Command Create()
    {
        var images = new Option<int>("--images") { Description = "Test digits written as PNG and attacked (1–10000).", DefaultValueFactory = _ => 200 };
        var batchSize = new Option<int>("--batch-size") { Description = "Rows the transform attacks at once (also the direct attack's batch size).", DefaultValueFactory = _ => 64 };
        var bench = new Option<bool>("--bench") { Description = "Also time the transform against AdefAttack.Run on the same pixels, batch size and ONNX classifier." };
        var output = new Option<string>("--out") { Description = "Output folder for the PNG digits, the ONNX model and the saved pipeline.", DefaultValueFactory = _ => Path.Combine("out", "mlnet") };
        var command = new Command("mlnet", "Attack MNIST digits (PNG files) with ADef inside an ML.NET pipeline; report, save/load, augment, time.");
        foreach (Option option in new Option[] { images, batchSize, bench, output }) command.Options.Add(option);
        command.SetAction(parse => Run(parse.GetValue(images), parse.GetValue(batchSize), parse.GetValue(bench), parse.GetValue(output)!));
        return command;
    }

    /// <summary>A PNG file (relative to the digits folder) and its true label.</summary>
    public sealed class FileRow
    {
        public string ImagePath { get; set; } = "";
        public int Label { get; set; }
    }

    /// <summary>The digit's pixels as the front end extracts them (one grey plane in [0, 1]).</summary>
    public sealed class PixelRow
    {
        public string ImagePath { get; set; } = "";
        [VectorType(784)] public float[] Pixels { get; set; } = [];
    }

    /// <summary>A digit as a pixel vector with its label (the augmented training set).</summary>
    public sealed class DigitRow
    {
        [VectorType(784)] public float[] Pixels { get; set; } = [];
        public int Label { get; set; }
    }

    /// <summary>The columns of the attacked pipeline the sample prints and compares.</summary>
    public sealed class AttackedRow
    {
        public string ImagePath { get; set; } = "";
        public int Label { get; set; }
        [VectorType(784)] public float[] Pixels { get; set; } = [];
        public int OriginalLabel { get; set; }
        public int AdversarialLabel { get; set; }
        public bool Success { get; set; }
        public int Iterations { get; set; }
        public double TNorm { get; set; }
        [VectorType(784)] public float[] AdversarialPixels { get; set; } = [];
        [ColumnName("logits")] public float[] Logits { get; set; } = [];
    }

    private static int Run(int imageCount, int batchSize, bool bench, string outputFolder)
    {
        if (imageCount is < 1 or > 10000 || batchSize < 1)
        {
            AnsiConsole.MarkupLine("[red]--images must lie in 1–10000 and --batch-size be ≥ 1.[/]");
            return 2;
        }
        string pngFolder = Path.Combine(outputFolder, "digits");
        Directory.CreateDirectory(pngFolder);
        LabeledImages test = Mnist.LoadTest().Take(imageCount);
        WritePngs(test, pngFolder);
        FileRow[] files = ListPngs(pngFolder);
        AnsiConsole.MarkupLine($"Wrote {test.Count} MNIST test digits as PNG into {Markup.Escape(Path.GetFullPath(pngFolder))}.");

        // MNIST-A from the cache, exactly as the mnist command trains it, exported to ONNX.
        var trainingOptions = new TrainingOptions { Epochs = 22, FinalEpochsAtTenthRate = 2 };
        string onnxPath = Path.Combine(outputFolder, "mnist-a.onnx");
        using (var model = MnistModelCache.GetOrTrain("MNIST-A", trainingOptions, Mnist.LoadTrain()))
            MnistOnnxExporter.Save((MnistA)model, onnxPath);
        AnsiConsole.MarkupLine($"MNIST-A exported to {Markup.Escape(onnxPath)}.");

        var ml = new MLContext(seed: 1);
        IDataView fileView = ml.Data.LoadFromEnumerable(files);
        var attackOptions = new AdefTransformOptions
        {
            Attack = AdefOptions.Mnist with { BatchSize = batchSize },
            OutputColumnName = "AdversarialPixels",                  // keep the clean "Pixels" beside them, for the table
            LabelColumnName = "Label",
        };
        var pipeline = FrontEnd(ml, pngFolder)
            .Append(ml.Transforms.Adef(onnxPath, attackOptions))
            .Append(ml.Transforms.CopyColumns(MnistOnnxExporter.InputName, attackOptions.OutputColumnName))
            .Append(ml.Transforms.ApplyOnnxModel(outputColumnNames: [MnistOnnxExporter.OutputName],
                inputColumnNames: [MnistOnnxExporter.InputName], modelFile: onnxPath));
        var fitted = pipeline.Fit(fileView);

        var stopwatch = Stopwatch.StartNew();
        IDataView attacked = ml.Data.Cache(fitted.Transform(fileView));
        AttackedRow[] rows = ml.Data.CreateEnumerable<AttackedRow>(attacked, reuseRowObject: false).ToArray();
        stopwatch.Stop();
        AnsiConsole.MarkupLine($"Pipeline (LoadImages → ResizeImages → ExtractPixels → ADef → ApplyOnnxModel) on {rows.Length} digits: {stopwatch.Elapsed.TotalSeconds:0.0} s.");

        int confirmed = rows.Count(r => Array.IndexOf(r.Logits, r.Logits.Max()) == r.AdversarialLabel);
        var table = new Table().Title("First rows (Orig./Adv.: labels from the transform, ONNX: ApplyOnnxModel on the deformed column)");
        foreach (string column in new[] { "File", "True", "Orig.", "Adv.", "ONNX", "Success", "Iter.", "‖τ‖_T" })
            table.AddColumn(new TableColumn(Markup.Escape(column)).RightAligned());
        foreach (AttackedRow row in rows.Take(8))
            table.AddRow(Markup.Escape(Path.GetFileNameWithoutExtension(row.ImagePath)), $"{row.Label}", $"{row.OriginalLabel}", $"{row.AdversarialLabel}",
                $"{Array.IndexOf(row.Logits, row.Logits.Max())}", row.Success ? "yes" : "no", $"{row.Iterations}", $"{row.TNorm:0.000}");
        AnsiConsole.Write(table);
        AnsiConsole.MarkupLine($"ApplyOnnxModel on the deformed column confirms the adversarial label on [bold]{confirmed}/{rows.Length}[/] rows.");

        RobustnessReport report = RobustnessReport.FromDataView(attacked, "Label", attackOptions);
        AnsiConsole.MarkupLine("[bold]Robustness report (ADef, MNIST-A via ONNX)[/]");
        AnsiConsole.WriteLine(report.ToString());

        // Save with AttackPipeline (plain mlContext.Model.Save refuses), load, re-run, compare.
        string modelPath = Path.Combine(outputFolder, "adef-pipeline.zip");
        AttackPipeline.Save(ml, fitted, fileView.Schema, modelPath);
        var loaded = AttackPipeline.Load(ml, modelPath, out DataViewSchema _);
        AttackedRow[] reloaded = ml.Data.CreateEnumerable<AttackedRow>(loaded.Transform(fileView), reuseRowObject: false).ToArray();
        foreach (IDisposable disposable in loaded.OfType<IDisposable>()) disposable.Dispose();
        bool identical = reloaded.Length == rows.Length && rows.Zip(reloaded).All(p =>
            p.First.OriginalLabel == p.Second.OriginalLabel && p.First.AdversarialLabel == p.Second.AdversarialLabel
            && p.First.Success == p.Second.Success && p.First.Iterations == p.Second.Iterations
            && p.First.TNorm.Equals(p.Second.TNorm) && p.First.AdversarialPixels.SequenceEqual(p.Second.AdversarialPixels)
            && p.First.Logits.SequenceEqual(p.Second.Logits));
        AnsiConsole.MarkupLine($"Saved the fitted pipeline to {Markup.Escape(modelPath)} ({new FileInfo(modelPath).Length / 1024} KiB) with AttackPipeline.Save; " +
            $"loaded with AttackPipeline.Load and re-run: outputs {(identical ? "[green]identical[/]" : "[red]DIFFERENT[/]")} on {reloaded.Length} rows.");

        // Augmentation: the clean digits plus the successful deformations, each with its true label.
        DigitRow[] clean = rows.Select(r => new DigitRow { Pixels = r.Pixels, Label = r.Label }).ToArray();
        DigitRow[] deformed = rows.Where(r => r.Success).Select(r => new DigitRow { Pixels = r.AdversarialPixels, Label = r.Label }).ToArray();
        IDataView augmented = ml.Data.LoadFromEnumerable(clean.Concat(deformed));
        AnsiConsole.MarkupLine($"Augmented training set: {CountRows(ml.Data.LoadFromEnumerable(clean))} clean + {CountRows(ml.Data.LoadFromEnumerable(deformed))} deformed " +
            $"= [bold]{CountRows(augmented)}[/] rows (columns {string.Join(", ", augmented.Schema.Select(c => c.Name))}).");

        foreach (IDisposable disposable in fitted.OfType<IDisposable>()) disposable.Dispose();
        if (bench) Bench(ml, clean, onnxPath, batchSize);
        return identical && confirmed == rows.Length ? 0 : 1;
    }

    /// <summary>ML.NET's image front end: decode <c>ImagePath</c> (relative to <paramref name="folder"/>), resize to 28×28,
    /// and extract one grey plane scaled to [0, 1] into <c>Pixels</c> (the digits are grey, so red = grey).</summary>
    internal static IEstimator<ITransformer> FrontEnd(MLContext ml, string folder) =>
        ml.Transforms.LoadImages("Image", folder, nameof(FileRow.ImagePath))
            .Append(ml.Transforms.ResizeImages("Image", imageWidth: 28, imageHeight: 28))
            .Append(ml.Transforms.ExtractPixels("Pixels", "Image", colorsToExtract: ImagePixelExtractingEstimator.ColorBits.Red,
                interleavePixelColors: false, scaleImage: 1f / 255));

    /// <summary>Writes each digit as <c>NNNNN-label.png</c> (8-bit grey, rounded), replacing older ones.</summary>
    internal static void WritePngs(LabeledImages digits, string folder)
    {
        foreach (string stale in Directory.GetFiles(folder, "*.png")) File.Delete(stale);
        var bgra = new byte[4 * 28 * 28];
        for (int i = 0; i < digits.Count; i++)
        {
            ReadOnlySpan<float> pixels = digits.Image(i);
            for (int p = 0; p < pixels.Length; p++)
            {
                byte grey = (byte)Math.Clamp(MathF.Round(pixels[p] * 255), 0, 255);
                bgra[4 * p] = bgra[4 * p + 1] = bgra[4 * p + 2] = grey;
                bgra[4 * p + 3] = 255;
            }
            using MLImage image = MLImage.CreateFromPixels(28, 28, MLPixelFormat.Bgra32, bgra);
            image.Save(Path.Combine(folder, $"{i:D5}-{digits.Labels[i]}.png"));
        }
    }

    /// <summary>Every <c>NNNNN-label.png</c> in <paramref name="folder"/> with the label from its name, in name order.</summary>
    internal static FileRow[] ListPngs(string folder) => Directory.GetFiles(folder, "*.png").Order(StringComparer.Ordinal).Select(path =>
    {
        string name = Path.GetFileName(path);
        return new FileRow
        {
            ImagePath = name,
            Label = int.Parse(Path.GetFileNameWithoutExtension(name).Split('-')[1], System.Globalization.CultureInfo.InvariantCulture),
        };
    }).ToArray();

    private static long CountRows(IDataView data)
    {
        long count = 0;
        using DataViewRowCursor cursor = data.GetRowCursor([]);
        while (cursor.MoveNext()) count++;
        return count;
    }

    /// <summary>
    /// Times the ADef transform (a cursor over all its output columns) against <see cref="AdefAttack.Run"/> on the
    /// same pixels, labels, batch size and ONNX classifier.
    /// </summary>
    private static void Bench(MLContext ml, DigitRow[] digits, string onnxPath, int batchSize)
    {
        IDataView data = ml.Data.LoadFromEnumerable(digits);
        var options = new AdefTransformOptions
        {
            Attack = AdefOptions.Mnist with { BatchSize = batchSize },
            LabelColumnName = "Label",
        };
        using var transformer = ml.Transforms.Adef(onnxPath, options).Fit(data);
        float[] flat = digits.SelectMany(d => d.Pixels).ToArray();
        int[] labels = digits.Select(d => d.Label).ToArray();
        using var classifier = new OnnxClassifier(onnxPath);
        var attack = new AdefAttack(classifier, options.Attack);
        attack.Run(flat.AsMemory(0, 784), [labels[0]]);               // warm both sessions up
        DrainAllColumns(transformer.Transform(ml.Data.TakeRows(data, 1)));

        // Two rounds in alternating order (direct, transform, transform, direct); the faster time of each counts.
        double transformSeconds = double.PositiveInfinity, directSeconds = double.PositiveInfinity;
        long rows = 0;
        AdefResult[] direct = [];
        for (int round = 0; round < 2; round++)
        {
            for (int step = 0; step < 2; step++)
            {
                var stopwatch = Stopwatch.StartNew();
                if ((step == 0) == (round == 0))
                {
                    direct = attack.Run(flat, labels);
                    directSeconds = Math.Min(directSeconds, stopwatch.Elapsed.TotalSeconds);
                }
                else
                {
                    rows = DrainAllColumns(transformer.Transform(data));
                    transformSeconds = Math.Min(transformSeconds, stopwatch.Elapsed.TotalSeconds);
                }
            }
        }

        double transformRate = rows / transformSeconds, directRate = direct.Length / directSeconds;
        AnsiConsole.MarkupLine($"[bold]Throughput[/] ({digits.Length} digits, batch {batchSize}, MNIST-A ONNX, {Environment.ProcessorCount} cores, best of 2): " +
            $"transform {transformRate:0.0} img/s ({transformSeconds:0.00} s), AdefAttack.Run {directRate:0.0} img/s ({directSeconds:0.00} s) → " +
            $"transform/direct [bold]{transformRate / directRate:0.000}[/].");
    }

    /// <summary>Reads every column of every row; returns the row count.</summary>
    private static long DrainAllColumns(IDataView data)
    {
        using DataViewRowCursor cursor = data.GetRowCursor(data.Schema);
        var readers = new List<Action>();
        foreach (DataViewSchema.Column column in data.Schema)
        {
            DataViewType type = column.Type;
            if (type is VectorDataViewType { ItemType: var item } && item == NumberDataViewType.Single)
            {
                var get = cursor.GetGetter<VBuffer<float>>(column);
                VBuffer<float> value = default;
                readers.Add(() => get(ref value));
            }
            else if (type == NumberDataViewType.Int32)
            {
                var get = cursor.GetGetter<int>(column);
                int value = 0;
                readers.Add(() => get(ref value));
            }
            else if (type == NumberDataViewType.Double)
            {
                var get = cursor.GetGetter<double>(column);
                double value = 0;
                readers.Add(() => get(ref value));
            }
            else if (type == BooleanDataViewType.Instance)
            {
                var get = cursor.GetGetter<bool>(column);
                bool value = false;
                readers.Add(() => get(ref value));
            }
        }
        long count = 0;
        while (cursor.MoveNext())
        {
            foreach (Action read in readers) read();
            count++;
        }
        return count;
    }
}
