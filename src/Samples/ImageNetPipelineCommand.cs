using System.CommandLine;
using System.Globalization;
using Adef.MLNet.Attacks;
using Adef.MLNet.Classifiers.Onnx;
using Adef.MLNet.Data;
using Adef.MLNet.Evaluation;
using Adef.MLNet.Transforms;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms.Image;
using Spectre.Console;

namespace Adef.Samples;

/// <summary>
/// The ImageNet-class models attacked inside ML.NET: <c>LoadImages → ResizeImages → Adef</c> with the model's
/// <see cref="ImagePreprocessing"/> on the transform (BGR and a mean for SqueezeNet, a per-channel mean and std for
/// MobileNetV2), beside the clean accuracy of the <c>adef attack</c> path (the library's <see cref="ImageSource"/>) on the
/// same photos at the same size, and how far the two resizes' pixels differ.
/// </summary>
internal static class ImageNetPipelineCommand
{
    public static Command Create()
    {
        var data = new Option<string>("--data") { Description = "The shared experiment data folder (holds models/ and imagenet/).", DefaultValueFactory = _ => Path.Combine("..", "shared", "data") };
        var batchSize = new Option<int>("--batch-size") { Description = "Rows read ahead and images per model call.", DefaultValueFactory = _ => 8 };
        var command = new Command("imagenet-pipeline",
            "ADef inside an ML.NET pipeline (LoadImages → ResizeImages → Adef with the model's preprocessing) on the ImageNet-class models, " +
            "with the clean accuracy of the adef tool's image reading beside it.");
        command.Options.Add(data);
        command.Options.Add(batchSize);
        command.SetAction(parse => Run(parse.GetValue(data)!, parse.GetValue(batchSize)));
        return command;
    }

    private sealed class PhotoRow
    {
        public string Path { get; set; } = "";
        public int Label { get; set; }
    }

    private static int Run(string dataFolder, int batchSize)
    {
        string photos = Path.Combine(dataFolder, "imagenet"), labels = Path.Combine(photos, "labels.csv");
        if (!File.Exists(labels))
        {
            AnsiConsole.MarkupLine($"[red]Error:[/] {Markup.Escape(labels)} does not exist; pass the shared data folder with --data.");
            return 2;
        }
        // The same photos resized once by the library (as the adef tool reads them) and saved losslessly: both paths then see
        // the same pixels, so any difference left would come from the preprocessing.
        string resized = Path.Combine("out", "imagenet-pipeline", "photos-224");
        ImageSource originals = ImageSource.Open(photos, 224, 224, labels, null);
        var rgba = new byte[4 * 224 * 224];
        var resizedLabels = new List<string> { "path,label" };
        for (int i = 0; i < originals.Count; i++)
        {
            if (originals.TrueLabels[i] is not int label) continue;
            string name = Path.ChangeExtension(originals.Names[i], ".png");
            originals.ReadPixels(i, 1, rgba);
            ImageFiles.SavePng(Path.Combine(resized, name), rgba, 224, 224);
            resizedLabels.Add($"{name},{label}");
        }
        File.WriteAllLines(Path.Combine(resized, "labels.csv"), resizedLabels);

        string[] columns = ["Model", "Input", "Photos", "Accuracy (pipeline)", "Accuracy (adef attack)", "Labels that differ",
            "Mean |Δbyte| of the resizes", "ADef success (pipeline)", "Mean iterations", "Median ‖τ‖_T (px)"];
        // One line per value: the table is read in logs as often as on a terminal.
        void Print(string[] row) => AnsiConsole.WriteLine(string.Join("; ", columns.Zip(row, (c, v) => $"{c}: {v}")));
        foreach (ImageNetCommand.ModelSpec spec in ImageNetCommand.Models)
        {
            string modelPath = Path.Combine(dataFolder, spec.RelativePath);
            if (!File.Exists(modelPath))
            {
                AnsiConsole.MarkupLine($"[yellow]{Markup.Escape(spec.Name)}: {Markup.Escape(modelPath)} is missing; skipped.[/]");
                continue;
            }
            Print(Compare(spec, modelPath, photos, labels, batchSize, "photos; ResizeImages (Fill, nearest) vs the library's"));
            Print(Compare(spec, modelPath, resized, Path.Combine(resized, "labels.csv"), batchSize, "the same photos resized by the library"));
        }
        return 0;
    }

    private static string[] Compare(ImageNetCommand.ModelSpec spec, string modelPath, string photos, string labels, int batchSize, string input)
    {
        var ml = new MLContext(seed: 1);
        ImageSource source = ImageSource.Open(photos, 224, 224, labels, null);
        // The labelled photos, each with its place in the source.
        int[] index = Enumerable.Range(0, source.Count).Where(i => source.TrueLabels[i] is not null).ToArray();
        PhotoRow[] rows = index.Select(i => new PhotoRow { Path = source.Names[i], Label = source.TrueLabels[i]!.Value }).ToArray();
        IDataView files = ml.Data.LoadFromEnumerable(rows);
        var attack = new AdefTransformOptions
        {
            InputColumnName = "Image", OutputColumnName = "Adversarial", LabelColumnName = "Label",
            InputPreprocessing = spec.Preprocessing, Onnx = new OnnxClassifierOptions { LogitsOutputName = spec.Logits },
            Attack = AdefOptions.ImageNet with { BatchSize = batchSize },
        };
        // Fill: stretch to 224×224 as the adef tool does (ResizeImages' default crops to keep the aspect ratio).
        var frontEnd = ml.Transforms.LoadImages("Image", photos, nameof(PhotoRow.Path))
            .Append(ml.Transforms.ResizeImages("Image", 224, 224, resizing: ImageResizingEstimator.ResizingKind.Fill));
        // The images are dropped so that the attacked rows can be cached: the metrics and the labels read them once, and the
        // attack runs once.
        var pipeline = frontEnd.Append(ml.Transforms.Adef(modelPath, attack)).Append(ml.Transforms.DropColumns("Image"));
        // Copied while the cursor is on the row: ML.NET disposes each image when it moves on.
        (byte[] Pixels, bool Bgra)[] resizedImages = ml.Data.CreateEnumerable<ImageRow>(frontEnd.Fit(files).Transform(files), reuseRowObject: false)
            .Select(r => (r.Image.Pixels.ToArray(), r.Image.PixelFormat == MLPixelFormat.Bgra32)).ToArray();
        ITransformer model = pipeline.Fit(files);
        IDataView attacked = ml.Data.Cache(model.Transform(files));
        RobustnessMetrics metrics = ml.Robustness().Evaluate(attacked, "Label");
        int[] pipelineLabels = ml.Data.CreateEnumerable<LabelRow>(attacked, reuseRowObject: false).Select(r => r.OriginalLabel).ToArray();
        foreach (IDisposable disposable in ((IEnumerable<ITransformer>)model).OfType<IDisposable>()) disposable.Dispose();

        // The adef tool's path: ImageSource decodes and resizes with SkiaSharp and normalises with the same preprocessing.
        using var classifier = new OnnxClassifier(modelPath, new OnnxClassifierOptions { LogitsOutputName = spec.Logits, PrepareGradientsAtLoad = false });
        int[] toolLabels = new int[rows.Length];
        var pixels = new float[spec.Shape.Size];
        var logits = new float[classifier.ClassCount];
        double byteDifference = 0;
        for (int i = 0; i < rows.Length; i++)
        {
            source.ReadNormalized(index[i], 1, spec.Preprocessing, pixels);
            classifier.ComputeLogits(pixels, 1, logits);
            toolLabels[i] = Array.IndexOf(logits, logits.Max());
            byteDifference += MeanByteDifference(resizedImages[i].Pixels, resizedImages[i].Bgra, source, index[i]);
        }
        double toolAccuracy = (double)toolLabels.Where((l, i) => l == rows[i].Label).Count() / rows.Length;
        int differing = toolLabels.Where((l, i) => l != pipelineLabels[i]).Count();
        string F(double v, string format = "0.00%") => v.ToString(format, CultureInfo.InvariantCulture);
        return
        [
            spec.Name, input, $"{rows.Length}", F(metrics.Accuracy), F(toolAccuracy), $"{differing}",
            F(byteDifference / rows.Length, "0.000"), F(metrics.SuccessRate), F(metrics.MeanIterations, "0.000"),
            F(metrics.NormQuantiles.First(q => q.Level == 0.5).Value, "0.000"),
        ];
    }

    /// <summary>The mean absolute difference between ML.NET's Fill resize and the library's of one photo, over R, G and B.</summary>
    private static double MeanByteDifference(byte[] theirs, bool bgra, ImageSource source, int index)
    {
        var ours = new byte[4 * 224 * 224];
        source.ReadPixels(index, 1, ours);
        (int r, int b) = bgra ? (2, 0) : (0, 2);
        double sum = 0;
        for (int p = 0; p < 224 * 224; p++)
            sum += Math.Abs(theirs[4 * p + r] - ours[4 * p]) + Math.Abs(theirs[4 * p + 1] - ours[4 * p + 1]) + Math.Abs(theirs[4 * p + b] - ours[4 * p + 2]);
        return sum / (3 * 224 * 224);
    }

    private sealed class ImageRow
    {
        [ImageType(224, 224)] public MLImage Image { get; set; } = null!;
    }

    private sealed class LabelRow
    {
        public int OriginalLabel { get; set; }
    }
}
