using System.Diagnostics;
using Adef.Cluster;
using Adef.MLNet.Attacks;
using Adef.MLNet.Classifiers;
using Adef.MLNet.Classifiers.Onnx;
using Adef.MLNet.Data;
using Adef.ConsoleProgress;
using Spectre.Console;

namespace Adef.Cli;

/// <summary>
/// Runs the attack command: loads the model and the images, attacks them with results streamed to results.csv and the
/// PNGs as batches finish, stops cleanly on Ctrl+C, continues a previous run with <c>--resume</c>, then summarises.
/// </summary>
internal static class AttackRun
{
    /// <summary>How many successful ADef results examples.png shows.</summary>
    private const int ExampleCount = 6;

    /// <summary>Runs the attack; returns <see cref="ExitCodes.Done"/>, or <see cref="ExitCodes.Interrupted"/> when Ctrl+C or
    /// <paramref name="cancel"/> stopped it (results.csv and summary.json then cover the finished images; the gate is not applied).</summary>
    /// <exception cref="UsageException">Bad input; other bad-input exceptions come from the library (see <see cref="AdefCli"/>).</exception>
    /// <exception cref="GateFailedException">The gate failed on the whole results.csv (every output is written).</exception>
    public static int Execute(AttackSettings s, CancellationToken cancel)
    {
        s.Check();
        if (!ComputeDevice.TryParse(s.Device, out ComputeDevice device))
            throw new UsageException($"--device must be cpu, cuda or cuda:N, not '{s.Device}'.");
        // On a cluster the workers attack (each on its own --device); this process reads the model's shape and classes only.
        using OnnxClassifier classifier = Load(s, s.Cluster is null ? device : ComputeDevice.Cpu, out InputFormat format);
        AnsiConsole.MarkupLine($"Model {Markup.Escape(s.Model!)}: input '{Markup.Escape(classifier.InputName)}' {classifier.InputShape}, " +
                               $"logits '{Markup.Escape(classifier.LogitsName)}' ({classifier.ClassCount} classes).");
        foreach (string warning in classifier.Warnings) AnsiConsole.MarkupLine($"[yellow]{Markup.Escape(warning)}[/]");
        AttackSpec spec = AttackOptionsBuilder.Spec(s, format);
        AttackOptions options = AttackOptionsBuilder.Build(spec, classifier.ClassCount);

        ImageSource source = format.Open(s.Images!, s.Labels, s.Limit);
        CheckLabels(source, s.Images!, classifier.ClassCount);
        RobustnessGate gate = s.Gate ?? RobustnessGate.None;
        gate.RequireLabels(source.TrueLabels.Count(l => l is not null));
        ClassLabels names = ClassLabels.Load(s.ClassNames, source, classifier.ClassCount);
        string csvPath = Path.Combine(s.Out!, "results.csv");
        var layout = new ResultsCsv.Layout(Targeted: s.Targets is not null, Names: names.FromClassNamesFile, Valid: s.ValidImages);
        List<ResultsCsv.Row> previous = PreviousResults(csvPath, s.Resume, layout);
        var done = previous.Select(r => r.File).ToHashSet(StringComparer.Ordinal);
        int[] todo = Enumerable.Range(0, source.Count).Where(i => !done.Contains(source.Names[i])).ToArray();
        int[]? targets = AttackTargets.For(s.Targets, source, todo, previous, classifier.ClassCount);
        Directory.CreateDirectory(s.Out!);
        ResultsCsv.Create(csvPath, layout, previous); // with --resume, drops a torn last line, if any

        var unreadable = new List<(string File, string Reason)>();
        Streamed run;
        using (var csv = ResultsCsv.Append(csvPath))
        {
            void Write(IReadOnlyList<ResultRow> rows)
            {
                AttackOutput.WriteRows(csv, rows, s.Out!, names.FromClassNamesFile ? names : null, layout);
                foreach (ResultRow row in rows.Where(r => r.Outcome == ResultRow.Unreadable))
                {
                    unreadable.Add((row.File, row.Reason ?? ""));
                    AnsiConsole.MarkupLine($"[yellow]Unreadable, not attacked: {Markup.Escape(row.Reason ?? row.File)}[/]");
                }
            }
            using var interruption = new Interruption(cancel);
            run = s.Cluster is null
                ? RunHere(classifier, format, options, source, todo, targets, s, Write, interruption.Token)
                : ClusterAttack.Run(s, spec, source, todo, targets, previous, Write, interruption.Token);
        }
        if (run.Interrupted) AnsiConsole.MarkupLine("[yellow]Interrupted: results.csv holds the finished images; rerun with --resume to attack the rest.[/]");

        List<ResultsCsv.Row> rows = ResultsCsv.Read(csvPath);
        var totals = AttackOutput.Totals.Of(rows, todo.Length, run.Seconds);
        long peak = Math.Max(run.PeakWorkingSet, Process.GetCurrentProcess().PeakWorkingSet64);
        AttackOutput.WriteSummary(Path.Combine(s.Out!, "summary.json"),
            new AttackOutput.RunFacts(s, classifier, format, source, options, run.Interrupted, run.Seconds, todo.Length, peak, unreadable,
                run.Cluster), totals);
        string written = "results.csv, summary.json";
        if (run.Examples.Count > 0)
        {
            AttackOutput.WriteExamples(Path.Combine(s.Out!, "examples.png"), format, run.Examples, names);
            written += ", examples.png";
        }
        AttackOutput.PrintTable(s.AttackName, totals);
        AnsiConsole.MarkupLine($"Peak working set: {peak / (1024.0 * 1024.0):0.0} MiB.");
        AnsiConsole.MarkupLine($"results.csv lists {rows.Count} of {source.Count} image(s); wrote {written} to {Markup.Escape(Path.GetFullPath(s.Out!))}.");
        if (run.Interrupted) return ExitCodes.Interrupted;
        if (run.FailedImages > 0)
            throw new IncompleteRunException($"{run.FailedImages} image(s) in shards that failed three times are missing from results.csv " +
                                                "(the reasons are in summary.json); rerun with --resume to try them again.");
        gate.Enforce(ResultsCsv.Report(rows));
        return ExitCodes.Done;
    }

    /// <summary>
    /// Loads the model and the input format its images are read in. With <c>--valid-images</c> the classifier must state that
    /// format's preprocessing (the attack rounds to its grid), which it takes only when loaded, and the format needs the model's
    /// shape: the model is then looked at once without gradients and loaded again with it.
    /// </summary>
    private static OnnxClassifier Load(AttackSettings s, ComputeDevice device, out InputFormat format)
    {
        // An explicit CUDA request fails with ONNX Runtime's reason rather than silently running on the CPU.
        var classifier = new OnnxClassifier(s.Model!,
            new OnnxClassifierOptions { LogitsOutputName = s.Logits, Device = device, FallbackToCpu = false });
        try
        {
            format = InputFormat.Parse(s.Size, s.Scale, s.Mean, s.Std, s.Channels, classifier.InputShape);
            // DeepFool's bounds, the norms in 8-bit levels and --valid-images' pixel grid all follow from it.
            classifier.InputPreprocessing = format.Preprocessing;
            return classifier;
        }
        catch
        {
            classifier.Dispose();
            throw;
        }
    }

    /// <summary>Reports the labels found and checks that they are classes of the model.</summary>
    private static void CheckLabels(ImageSource source, string images, int classCount)
    {
        int labelled = source.TrueLabels.Count(l => l is not null);
        AnsiConsole.MarkupLine($"{source.Count} image(s) from {Markup.Escape(images)}, {labelled} with a known label" +
                               (source.LabelsPath is null ? "." : $" ({Markup.Escape(source.LabelsPath)})."));
        if (labelled > 0 && labelled < source.Count)
            AnsiConsole.MarkupLine("[yellow]Some images have no label: all images are attacked; accuracy counts the labelled ones.[/]");
        foreach (int? label in source.TrueLabels)
            if (label is { } l && l >= classCount)
                throw new UsageException($"True label {l} is not a class of the model ({classCount} classes).");
    }

    /// <summary>With <paramref name="resume"/>, the complete rows of an existing results.csv (the images already done); otherwise none.</summary>
    /// <exception cref="UsageException">The file was written with the other choice of --targets, --valid-images or --class-names.</exception>
    private static List<ResultsCsv.Row> PreviousResults(string csvPath, bool resume, ResultsCsv.Layout layout)
    {
        if (!resume || !File.Exists(csvPath)) return [];
        if (ResultsCsv.LayoutOf(csvPath) is { } had && had != layout)
        {
            (string option, bool with) = had.Targeted != layout.Targeted ? ("--targets", had.Targeted)
                : had.Valid != layout.Valid ? ("--valid-images", had.Valid) : ("--class-names", had.Names);
            throw new UsageException($"'{csvPath}' was written {(with ? "with" : "without")} {option}; resume it " +
                                     $"{(with ? "with" : "without")} {option} too, so that every row has the same columns, or write to another --out.");
        }
        List<ResultsCsv.Row> previous = ResultsCsv.Read(csvPath);
        AnsiConsole.MarkupLine($"Resuming: {previous.Count} image(s) already in results.csv.");
        return previous;
    }

    /// <summary>The outcome of the streamed attack.</summary>
    /// <param name="Seconds">The attack's time (NaN when interrupted).</param>
    /// <param name="Interrupted">Whether Ctrl+C or the token stopped it.</param>
    /// <param name="Examples">Successful ADef results with their clean images, for examples.png.</param>
    /// <param name="PeakWorkingSet">The highest working set sampled while it ran.</param>
    /// <param name="FailedImages">Images of shards the cluster gave up on (none in one process).</param>
    /// <param name="Cluster">How the cluster ran the job, for summary.json; null in one process.</param>
    internal sealed record Streamed(double Seconds, bool Interrupted, List<(float[] Clean, AdefResult Result)> Examples, long PeakWorkingSet,
        int FailedImages = 0, object? Cluster = null);

    /// <summary>
    /// Attacks the images in this process, reading a window of them at a time (<see cref="ImageListAttack"/>), with rows handed
    /// to <paramref name="write"/> a batch at a time; cancellation stops the attack cleanly after the finished rows are written.
    /// </summary>
    private static Streamed RunHere(OnnxClassifier classifier, InputFormat format, AttackOptions options, ImageSource source, int[] todo,
        int[]? targets, AttackSettings s, Action<IReadOnlyList<ResultRow>> write, CancellationToken cancel)
    {
        classifier.PrepareGradients();
        var attack = new ImageListAttack(classifier, format.Preprocessing, options, source) { Strict = s.Strict };
        long peak = Environment.WorkingSet;
        var examples = new List<(float[] Clean, AdefResult Result)>();
        void OnImages(IReadOnlyList<AttackedImage> images)
        {
            foreach (AttackedImage image in images)
                if (image.Result is AdefResult { Success: true } adef && examples.Count < ExampleCount)
                    examples.Add((image.Clean.ToArray(), adef));
            write([.. images.Select(i => i.Row)]);
        }
        void Sample() => peak = Math.Max(peak, Environment.WorkingSet);
        double seconds = 0;
        bool interrupted = false;
        try
        {
            if (todo.Length > 0)
                seconds = AttackRunner.Stream(options is AdefOptions ? "ADef" : "DeepFool", todo.Length, Sample,
                    progress => attack.Run(todo, targets, OnImages, progress, cancel));
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            interrupted = true;
            seconds = double.NaN;
        }
        return new Streamed(seconds, interrupted, examples, peak);
    }
}
