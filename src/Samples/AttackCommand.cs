using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Adef.MLNet;
using Adef.MLNet.Attacks;
using Adef.MLNet.Classifiers;
using Adef.MLNet.Classifiers.Onnx;
using Adef.MLNet.Evaluation;
using Spectre.Console;

using Adef.Experiments;

namespace Adef.Samples;

/// <summary>
/// Attacks an ONNX image classifier on a folder of photos or an idx file with ADef or DeepFool, and writes the
/// adversarial images, results.csv, summary.json and (ADef) examples.png.
/// </summary>
internal static class AttackCommand
{
    private sealed record Settings(
        string? Model, string? Images, string? Out, string? Labels, string Attack, string? Preset,
        string? Candidates, int? MaxIterations, double? MaxNorm, double? Sigma, double? Overshoot, bool Targeted, int BatchSize,
        string Norm, string? Size, double Scale, string? Mean, string? Std, string? Channels, string? Logits, int Limit, bool Clip, bool Resume, string Device = "cpu");

    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "The ONNX classifier (float32 input N×C×H×W)." };
        var images = new Option<string>("--images") { Description = "A folder of PNG/JPEG files (recursive) or an idx image file." };
        var output = new Option<string>("--out") { Description = "Output folder." };
        var labels = new Option<string>("--labels") { Description = "CSV with a header and columns path (relative to --images) and label (or label_index); for idx, an idx1 label file (found automatically beside -images-idx3-ubyte)." };
        var attack = new Option<string>("--attack") { Description = "adef or deepfool.", DefaultValueFactory = _ => "adef" };
        var preset = new Option<string>("--preset") { Description = "ADef defaults of the paper: mnist or imagenet (explicit options override them)." };
        var candidates = new Option<string>("--candidates") { Description = "ADef: candidate ranks, e.g. 1,2,3 (1 = runner-up). DeepFool: the number K of top labels." };
        var maxIterations = new Option<int?>("--max-iterations") { Description = "Iteration limit." };
        var maxNorm = new Option<double?>("--max-norm") { Description = "ADef: budget on ‖τ‖_T in pixels." };
        var sigma = new Option<double?>("--sigma") { Description = "ADef: Gaussian smoothing of each step, in pixels." };
        var overshoot = new Option<double?>("--overshoot") { Description = "ADef: factor ≥ 1; DeepFool: extra fraction ≥ 0." };
        var targeted = new Option<bool>("--targeted") { Description = "ADef: success means landing in the candidate set." };
        var batchSize = new Option<int>("--batch-size") { Description = "Images sent to the model at once.", DefaultValueFactory = _ => 32 };
        var norm = new Option<string>("--norm") { Description = "DeepFool: l2 or linf.", DefaultValueFactory = _ => "l2" };
        var size = new Option<string>("--size") { Description = "W,H to resize to (default and only choice: the model's fixed size)." };
        var scale = new Option<double>("--scale") { Description = "Byte scale: value = byte·scale/255 before mean/std (1 or 255).", DefaultValueFactory = _ => 1 };
        var mean = new Option<string>("--mean") { Description = "Per-channel mean, in model channel order (default 0)." };
        var std = new Option<string>("--std") { Description = "Per-channel standard deviation, in model channel order (default 1)." };
        var channels = new Option<string>("--channels") { Description = "rgb, bgr or gray (default: rgb or gray by the model's channels)." };
        var logits = new Option<string>("--logits") { Description = "Name of the logits tensor of the model." };
        var clip = new Option<bool>("--clip") { Description = "DeepFool: clip to the valid input range (the images of bytes 0 and 255); needs the same mean and std for every channel." };
        var resume = new Option<bool>("--resume") { Description = "If --out holds a results.csv, skip the images listed there and append the rest (summary.json covers them all)." };
        var limit = new Option<int>("--limit") { Description = "Attack only the first N images (0 = all).", DefaultValueFactory = _ => 0 };
        var device = new Option<string>("--device") { Description = "cpu, cuda or cuda:N: ONNX Runtime's CUDA execution provider (needs the Microsoft.ML.OnnxRuntime.Gpu native package; an error if it cannot load).", DefaultValueFactory = _ => "cpu" };

        var command = new Command("attack", "Attack an ONNX image classifier on a folder of photos or an idx file with ADef or DeepFool.");
        foreach (Option option in new Option[] { model, images, output, labels, attack, preset, candidates, maxIterations, maxNorm, sigma,
                     overshoot, targeted, batchSize, norm, size, scale, mean, std, channels, logits, limit, clip, resume, device })
            command.Options.Add(option);
        command.SetAction(parse => Run(new Settings(
            parse.GetValue(model), parse.GetValue(images), parse.GetValue(output), parse.GetValue(labels), parse.GetValue(attack)!,
            parse.GetValue(preset), parse.GetValue(candidates), parse.GetValue(maxIterations), parse.GetValue(maxNorm),
            parse.GetValue(sigma), parse.GetValue(overshoot), parse.GetValue(targeted), parse.GetValue(batchSize),
            parse.GetValue(norm)!, parse.GetValue(size), parse.GetValue(scale), parse.GetValue(mean), parse.GetValue(std),
            parse.GetValue(channels), parse.GetValue(logits), parse.GetValue(limit), parse.GetValue(clip), parse.GetValue(resume),
            parse.GetValue(device)!)));
        return command;
    }

    private static int Run(Settings s)
    {
        try
        {
            return Execute(s);
        }
        catch (Exception e) when (e is UsageException or InvalidInputException or ArgumentException or NotSupportedException
                                       or InvalidOperationException or IOException or UnauthorizedAccessException)
        {
            AnsiConsole.MarkupLine($"[red]Error:[/] {Markup.Escape(e.Message)}");
            return 2;
        }
    }

    private static int Execute(Settings s)
    {
        if (string.IsNullOrWhiteSpace(s.Model)) throw new UsageException("--model is required (an .onnx file).");
        if (string.IsNullOrWhiteSpace(s.Images)) throw new UsageException("--images is required (a folder of PNG/JPEG files or an idx image file).");
        if (string.IsNullOrWhiteSpace(s.Out)) throw new UsageException("--out is required (the output folder).");
        if (!File.Exists(s.Model)) throw new UsageException($"Model '{s.Model}' does not exist.");
        if (!Directory.Exists(s.Images) && !File.Exists(s.Images)) throw new UsageException($"--images '{s.Images}' does not exist.");
        if (s.BatchSize < 1) throw new UsageException("--batch-size must be ≥ 1.");
        if (s.Limit < 0) throw new UsageException("--limit must be ≥ 0.");
        string attackName = s.Attack.Trim().ToLowerInvariant();
        if (attackName is not ("adef" or "deepfool")) throw new UsageException($"--attack must be adef or deepfool, not '{s.Attack}'.");

        if (!ComputeDevice.TryParse(s.Device, out ComputeDevice device))
            throw new UsageException($"--device must be cpu, cuda or cuda:N, not '{s.Device}'.");
        // An explicit CUDA request fails with ONNX Runtime's reason rather than silently running on the CPU.
        using var classifier = new OnnxClassifier(s.Model,
            new OnnxClassifierOptions { LogitsOutputName = s.Logits, Device = device, FallbackToCpu = false });
        var shape = classifier.InputShape;
        AnsiConsole.MarkupLine($"Model {Markup.Escape(s.Model)}: input '{Markup.Escape(classifier.InputName)}' {shape}, " +
                               $"logits '{Markup.Escape(classifier.LogitsName)}' ({classifier.ClassCount} classes).");
        foreach (string warning in classifier.Warnings) AnsiConsole.MarkupLine($"[yellow]{Markup.Escape(warning)}[/]");
        var preprocessing = Preprocessing.Parse(s.Size, s.Scale, s.Mean, s.Std, s.Channels, shape.Channels, shape.Height, shape.Width);

        AdefOptions? adefOptions = null;
        DeepFoolOptions? deepFoolOptions = null;
        if (s.Clip && attackName != "deepfool")
            throw new UsageException("--clip applies to DeepFool only (ADef's interpolation stays within the input's range).");
        if (attackName == "adef")
            adefOptions = BuildAdefOptions(s, classifier.ClassCount);
        else
            deepFoolOptions = BuildDeepFoolOptions(s, preprocessing);

        LoadedImages loaded = ImageFolderLoader.Load(s.Images, s.Labels, preprocessing, s.Limit);
        int loadedLabelled = loaded.TrueLabels.Count(l => l is not null);
        AnsiConsole.MarkupLine($"{loaded.Count} image(s) from {Markup.Escape(s.Images)}, {loadedLabelled} with a known label" +
                               (loaded.LabelSource is null ? "." : $" ({Markup.Escape(loaded.LabelSource)})."));
        if (loadedLabelled > 0 && loadedLabelled < loaded.Count)
            AnsiConsole.MarkupLine("[yellow]Some images have no label: all images are attacked; accuracy counts the labelled ones.[/]");
        foreach (int? label in loaded.TrueLabels)
            if (label is { } l && l >= classifier.ClassCount)
                throw new UsageException($"True label {l} is not a class of the model ({classifier.ClassCount} classes).");
        int[]? trueLabels = loadedLabelled == loaded.Count ? loaded.TrueLabels.Select(l => l!.Value).ToArray() : null;

        if (adefOptions is not null || deepFoolOptions is not null) classifier.PrepareGradients();
        Directory.CreateDirectory(s.Out);
        string csvPath = Path.Combine(s.Out, "results.csv");

        // --resume: keep the rows already written and attack only the images not listed there.
        var done = new HashSet<string>(StringComparer.Ordinal);
        if (s.Resume && File.Exists(csvPath))
        {
            List<CsvRow> previous = ReadCsv(csvPath);
            foreach (CsvRow row in previous) done.Add(row.File);
            RewriteCsv(csvPath, previous); // drops a torn last line, if any
            AnsiConsole.MarkupLine($"Resuming: {done.Count} image(s) already in results.csv.");
        }
        else
        {
            File.WriteAllText(csvPath, CsvHeader);
        }
        int[] todo = Enumerable.Range(0, loaded.Count).Where(i => !done.Contains(loaded.Files[i])).ToArray();
        int length = preprocessing.ImageLength;
        float[] pixels;
        if (todo.Length == loaded.Count)
        {
            pixels = loaded.Pixels;
        }
        else
        {
            pixels = new float[todo.Length * length];
            for (int j = 0; j < todo.Length; j++)
                loaded.Pixels.AsSpan(todo[j] * length, length).CopyTo(pixels.AsSpan(j * length, length));
        }
        int[]? todoLabels = trueLabels is null ? null : todo.Select(i => trueLabels[i]).ToArray();

        using var cancellation = new CancellationTokenSource();
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            e.Cancel = true; // stop cleanly: finished rows are written, then summary.json
            cancellation.Cancel();
        };
        Console.CancelKeyPress += onCancel;
        long peakWorkingSet = Environment.WorkingSet;
        var examples = new List<AdefResult>();
        bool interrupted = false;
        double seconds;
        using (var writer = new StreamWriter(csvPath, append: true))
        {
            var pending = new List<AttackResult>(s.BatchSize);
            void Flush()
            {
                if (pending.Count == 0) return;
                WriteBatch(writer, classifier, preprocessing, loaded, todo, pending, s.Out);
                writer.Flush();
                pending.Clear();
            }
            void OnResult(AttackResult result)
            {
                if (result is AdefResult adef && adef.Success && examples.Count < 6) examples.Add(adef);
                pending.Add(result);
                if (pending.Count >= s.BatchSize) Flush();
            }
            void Sample() => peakWorkingSet = Math.Max(peakWorkingSet, Environment.WorkingSet);
            try
            {
                if (todo.Length == 0)
                    seconds = 0;
                else if (adefOptions is not null)
                {
                    var attack = new AdefAttack(classifier, adefOptions);
                    seconds = AttackRunner.Stream("ADef", todo.Length, Sample,
                        progress => attack.Run(pixels, OnResult, todoLabels, progress, cancellation.Token));
                }
                else
                {
                    var attack = new DeepFoolAttack(classifier, deepFoolOptions);
                    seconds = AttackRunner.Stream("DeepFool", todo.Length, Sample,
                        progress => attack.Run(pixels, OnResult, todoLabels, progress, cancellation.Token));
                }
            }
            catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
            {
                interrupted = true;
                seconds = double.NaN;
            }
            finally
            {
                Console.CancelKeyPress -= onCancel;
            }
            Flush();
        }
        if (interrupted) AnsiConsole.MarkupLine("[yellow]Interrupted: results.csv holds the finished images; rerun with --resume to attack the rest.[/]");

        // The summary comes from the whole CSV, so a resumed run reports on every image.
        List<CsvRow> rows = ReadCsv(csvPath);
        var summary = Summarise(rows);
        int labelled = rows.Count(r => r.Truth is not null);
        int correct = rows.Count(r => r.Truth is { } t && t == r.Original);
        double accuracy = labelled == 0 ? double.NaN : (double)correct / labelled;
        double imagesPerSecond = todo.Length / seconds;
        int fooledAfterRounding = rows.Count(r => r.Outcome == nameof(AttackOutcome.Fooled) && r.PngLabel != r.Original);
        double pngSuccessRate = summary.Attacked == 0 ? double.NaN : (double)fooledAfterRounding / summary.Attacked;
        peakWorkingSet = Math.Max(peakWorkingSet, Process.GetCurrentProcess().PeakWorkingSet64);

        var report = new
        {
            model = Path.GetFullPath(s.Model),
            inputName = classifier.InputName,
            logitsName = classifier.LogitsName,
            inputShape = new { channels = shape.Channels, height = shape.Height, width = shape.Width },
            classes = classifier.ClassCount,
            modelWarnings = classifier.Warnings,
            images = Path.GetFullPath(s.Images),
            labels = loaded.LabelSource,
            preprocessing = new
            {
                width = preprocessing.Width, height = preprocessing.Height, scale = preprocessing.Scale,
                mean = preprocessing.Mean, std = preprocessing.Std, channels = preprocessing.Order.ToString().ToLowerInvariant(),
            },
            attack = attackName,
            preset = s.Preset,
            options = (object?)adefOptions ?? deepFoolOptions,
            imageCount = rows.Count,
            interrupted,
            labelled,
            accuracy,
            summary,
            successRate = summary.SuccessRate,
            meanIterations = summary.MeanIterations,
            meanTNorm = summary.MeanTNorm,
            pngSuccessRate,
            seconds,
            imagesPerSecond,
            peakWorkingSetBytes = peakWorkingSet,
        };
        File.WriteAllText(Path.Combine(s.Out, "summary.json"), JsonSerializer.Serialize(report, JsonOptions));

        string written = "results.csv, summary.json";
        if (examples.Count > 0)
        {
            var grid = examples.Select(r => new ExampleRow(
                preprocessing.ToDisplay(pixels.AsSpan(r.Index * length, length)),
                preprocessing.ToDisplay(r.AdversarialImage), r.VectorField,
                r.OriginalLabel.ToString(CultureInfo.InvariantCulture), r.AdversarialLabel.ToString(CultureInfo.InvariantCulture), r.TNorm)).ToList();
            AttackFigures.SaveExampleGrid(Path.Combine(s.Out, "examples.png"), grid,
                new ImageDisplay(new ImageShape(preprocessing.Channels, preprocessing.Height, preprocessing.Width)));
            written += ", examples.png";
        }

        PrintTable(attackName, rows.Count, labelled, accuracy, summary, imagesPerSecond, pngSuccessRate);
        AnsiConsole.MarkupLine($"Peak working set: {peakWorkingSet / (1024.0 * 1024.0):0.0} MiB.");
        AnsiConsole.MarkupLine($"results.csv lists {rows.Count} of {loaded.Count} image(s); wrote {written} to {Markup.Escape(Path.GetFullPath(s.Out))}.");
        return interrupted ? 130 : 0;
    }

    private static AdefOptions BuildAdefOptions(Settings s, int classCount)
    {
        AdefOptions options = s.Preset?.Trim().ToLowerInvariant() switch
        {
            null => new AdefOptions(),
            "mnist" => AdefOptions.Mnist,
            "imagenet" => AdefOptions.ImageNet,
            _ => throw new UsageException($"--preset must be mnist or imagenet, not '{s.Preset}'."),
        };
        if (s.Candidates is not null)
        {
            double[] ranks = Preprocessing.ParseList("--candidates", s.Candidates);
            if (ranks.Any(r => r != Math.Floor(r))) throw new UsageException("--candidates must be whole ranks such as 1,2,3.");
            options = options with { Candidates = ranks.Select(r => (int)r).ToArray() };
        }
        else if (options.Candidates.Max() >= classCount)
        {
            options = options with { Candidates = options.Candidates.Where(r => r < classCount).ToArray() };
        }
        if (s.MaxIterations is { } it) options = options with { MaxIterations = it };
        if (s.MaxNorm is { } mn) options = options with { MaxNorm = mn };
        if (s.Sigma is { } sg) options = options with { Sigma = sg };
        if (s.Overshoot is { } os) options = options with { OvershootFactor = os };
        if (s.Targeted) options = options with { Targeted = true };
        options = options with { BatchSize = s.BatchSize };
        try
        {
            // Validation is internal to the library: constructing an attack checks the options.
            _ = new AdefAttack(new ValidationOnly(classCount), options);
        }
        catch (ArgumentException e)
        {
            throw new UsageException($"Invalid ADef option: {e.Message}");
        }
        return options;
    }

    private static DeepFoolOptions BuildDeepFoolOptions(Settings s, Preprocessing preprocessing)
    {
        var options = new DeepFoolOptions { BatchSize = s.BatchSize };
        if (s.Clip)
        {
            if (preprocessing.Mean.Distinct().Count() != 1 || preprocessing.Std.Distinct().Count() != 1)
                throw new UsageException("--clip needs the same mean and std for every channel (DeepFool clips to one range).");
            double m = preprocessing.Mean[0], sd = preprocessing.Std[0];
            options = options with { ClipMin = (float)((0 - m) / sd), ClipMax = (float)((preprocessing.Scale - m) / sd) };
        }
        options = options with
        {
            Norm = s.Norm.Trim().ToLowerInvariant() switch
            {
                "l2" => DeepFoolNorm.L2,
                "linf" => DeepFoolNorm.LInf,
                _ => throw new UsageException($"--norm must be l2 or linf, not '{s.Norm}'."),
            },
        };
        if (s.Candidates is not null)
        {
            if (!int.TryParse(s.Candidates, NumberStyles.Integer, CultureInfo.InvariantCulture, out int k) || k < 2)
                throw new UsageException($"For DeepFool, --candidates is the number K ≥ 2 of top labels, not '{s.Candidates}'.");
            options = options with { Candidates = k };
        }
        if (s.MaxIterations is { } it) options = options with { MaxIterations = it };
        if (s.Overshoot is { } os) options = options with { OvershootFraction = os };
        if (s.MaxNorm is not null || s.Sigma is not null || s.Targeted)
            AnsiConsole.MarkupLine("[yellow]--max-norm, --sigma and --targeted apply to ADef only; ignored for DeepFool.[/]");
        try
        {
            _ = new DeepFoolAttack(new ValidationOnly(2), options);
        }
        catch (ArgumentException e)
        {
            throw new UsageException($"Invalid DeepFool option: {e.Message}");
        }
        return options;
    }

    private static int[] Classify(OnnxClassifier classifier, float[] images, int count, int batchSize)
    {
        int length = classifier.InputShape.Size, classes = classifier.ClassCount;
        var labels = new int[count];
        var logits = new float[batchSize * classes];
        for (int start = 0; start < count; start += batchSize)
        {
            int n = Math.Min(batchSize, count - start);
            classifier.ComputeLogits(images.AsSpan(start * length, n * length), n, logits.AsSpan(0, n * classes));
            for (int i = 0; i < n; i++)
            {
                ReadOnlySpan<float> row = logits.AsSpan(i * classes, classes);
                int best = 0;
                for (int k = 1; k < classes; k++) if (row[k] > row[best]) best = k;
                labels[start + i] = best;
            }
        }
        return labels;
    }

    private const string CsvHeader =
        "file,original_label,adversarial_label,success,outcome,iterations,t_norm,field_l2,pixel_l2,pixel_linf,true_label,clean_correct,png_label\n";

    /// <summary>One results.csv row: the few numbers the summary needs.</summary>
    internal sealed record CsvRow(string File, int Original, string Outcome, int Iterations, double TNorm, double PixelL2, double PixelLInf,
        int? Truth, int PngLabel, string Line);

    /// <summary>Saves a batch of finished images' PNGs, re-classifies the rounded PNG bytes and appends their rows.</summary>
    private static void WriteBatch(TextWriter writer, OnnxClassifier classifier, Preprocessing preprocessing, LoadedImages loaded,
        int[] todo, List<AttackResult> batch, string outDir)
    {
        int length = preprocessing.ImageLength;
        // The PNGs hold rounded bytes; re-classify them to see whether the attack survives the quantisation.
        var quantised = new float[batch.Count * length];
        for (int i = 0; i < batch.Count; i++)
        {
            byte[] rgba = preprocessing.Denormalize(batch[i].AdversarialImage);
            ImageFolderLoader.SavePng(Path.Combine(outDir, loaded.OutputNames[todo[batch[i].Index]]), rgba, preprocessing.Width, preprocessing.Height);
            preprocessing.Normalize(rgba, quantised.AsSpan(i * length, length));
        }
        int[] pngLabels = Classify(classifier, quantised, batch.Count, batch.Count);
        var csv = new StringBuilder();
        for (int i = 0; i < batch.Count; i++)
        {
            AttackResult r = batch[i];
            int image = todo[r.Index];
            var adef = r as AdefResult;
            int? truth = loaded.TrueLabels[image];
            csv.Append(Quote(loaded.Files[image])).Append(',')
                .Append(r.OriginalLabel).Append(',')
                .Append(r.AdversarialLabel).Append(',')
                .Append(r.Success ? "true" : "false").Append(',')
                .Append(r.Outcome).Append(',')
                .Append(r.Iterations).Append(',')
                .Append(adef is null ? "" : Number(adef.TNorm)).Append(',')
                .Append(adef is null ? "" : Number(adef.FieldL2)).Append(',')
                .Append(Number(r.PixelL2)).Append(',')
                .Append(Number(r.PixelLInf)).Append(',')
                .Append(truth?.ToString(CultureInfo.InvariantCulture) ?? "").Append(',')
                .Append(truth is null ? "" : truth == r.OriginalLabel ? "true" : "false").Append(',')
                .Append(pngLabels[i])
                .Append('\n');
        }
        writer.Write(csv.ToString());
    }

    /// <summary>Reads the rows of results.csv, skipping the header and any torn or malformed line.</summary>
    internal static List<CsvRow> ReadCsv(string path)
    {
        var rows = new List<CsvRow>();
        string text = File.ReadAllText(path);
        bool complete = text.EndsWith('\n');
        string[] lines = text.Split('\n');
        for (int n = 1; n < lines.Length; n++)
        {
            string line = lines[n];
            if (line.Length == 0 || (n == lines.Length - 1 && !complete)) continue;
            List<string> f = SplitCsv(line);
            if (f.Count != 13
                || !int.TryParse(f[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out int original)
                || !int.TryParse(f[5], NumberStyles.Integer, CultureInfo.InvariantCulture, out int iterations)
                || !int.TryParse(f[12], NumberStyles.Integer, CultureInfo.InvariantCulture, out int png))
                continue;
            rows.Add(new CsvRow(f[0], original, f[4], iterations, ParseOrNaN(f[6]), ParseOrNaN(f[8]), ParseOrNaN(f[9]),
                int.TryParse(f[10], NumberStyles.Integer, CultureInfo.InvariantCulture, out int t) ? t : null, png, line));
        }
        return rows;
    }

    private static void RewriteCsv(string path, List<CsvRow> rows)
    {
        var text = new StringBuilder(CsvHeader);
        foreach (CsvRow row in rows) text.Append(row.Line).Append('\n');
        File.WriteAllText(path, text.ToString());
    }

    private static double ParseOrNaN(string s) =>
        double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) ? v : double.NaN;

    private static List<string> SplitCsv(string line)
    {
        var fields = new List<string>();
        var field = new StringBuilder();
        bool quoted = false;
        for (int i = 0; i < line.Length; i++)
        {
            char c = line[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < line.Length && line[i + 1] == '"') { field.Append('"'); i++; }
                else if (c == '"') quoted = false;
                else field.Append(c);
            }
            else if (c == '"') quoted = true;
            else if (c == ',') { fields.Add(field.ToString()); field.Clear(); }
            else field.Append(c);
        }
        fields.Add(field.ToString());
        return fields;
    }

    /// <summary>The <see cref="AttackSummary"/> of the rows (same protocol as <see cref="AttackSummary.From"/>).</summary>
    internal static AttackSummary Summarise(IReadOnlyList<CsvRow> rows) =>
        AttackSummary.From(rows.Select(r => new AttackSummaryEntry(
            r.Outcome != nameof(AttackOutcome.AlreadyMisclassified), r.Outcome == nameof(AttackOutcome.Fooled),
            r.Iterations, r.TNorm, r.PixelL2, r.PixelLInf)).ToList());

    private static string Number(double value) => value.ToString("G9", CultureInfo.InvariantCulture);

    private static string Quote(string field) =>
        field.IndexOfAny(new[] { ',', '"', '\n' }) < 0 ? field : "\"" + field.Replace("\"", "\"\"") + "\"";

    private static void PrintTable(string attack, int images, int labelled, double accuracy, AttackSummary summary, double imagesPerSecond,
        double pngSuccessRate)
    {
        var table = new Table().Title($"{(attack == "adef" ? "ADef" : "DeepFool")} on {images} image(s)");
        table.AddColumn("Measure");
        table.AddColumn(new TableColumn("Value").RightAligned());
        void Row(string name, string value) => table.AddRow(Markup.Escape(name), Markup.Escape(value));
        Row("Clean accuracy", labelled == 0 ? "– (no labels)" : $"{accuracy:P2} of {labelled}");
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
        Row("Success after rounding to PNG bytes", $"{pngSuccessRate:P2}");
        Row("Images/s (attack only)", $"{imagesPerSecond:0.00}");
        AnsiConsole.Write(table);
    }

    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = true,
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter() },
    };

    /// <summary>A stand-in classifier with only a class count, for checking options before the images are loaded.</summary>
    private sealed class ValidationOnly(int classCount) : Adef.MLNet.Classifiers.IDifferentiableClassifier
    {
        public Adef.MLNet.Classifiers.ImageShape InputShape => new(1, 1, 1);
        public int ClassCount => classCount;
        public void ComputeLogits(ReadOnlySpan<float> images, int count, Span<float> logits) => throw new NotSupportedException();
        public void ComputeLogitsAndMarginGradients(ReadOnlySpan<float> images, int count, ReadOnlySpan<int> targetLabels,
            int targetsPerImage, Span<float> logits, Span<float> gradients) => throw new NotSupportedException();
    }
}
