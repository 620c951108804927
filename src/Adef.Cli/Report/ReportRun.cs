using System.Globalization;
using System.Text.Json;
using Adef.MLNet.Evaluation;
using Spectre.Console;

namespace Adef.Cli;

/// <summary>
/// Runs the report command: reads results.csv back as the library's <see cref="AttackRecord"/>s, and writes the report of
/// the attack it holds (ADef, or DeepFool) with <see cref="RobustnessReportWriter"/>, without an example grid (results.csv
/// keeps no vector fields).
/// </summary>
internal static class ReportRun
{
    /// <summary>Writes the report, then applies <paramref name="gate"/>; returns <see cref="ExitCodes.Done"/>.</summary>
    /// <param name="results">The attack's output folder or its results.csv.</param>
    /// <param name="output">The report's folder, or null for report/ beside results.csv.</param>
    /// <param name="epsilon">The budget, in the norm of the attack in results.csv; null for the default.</param>
    /// <param name="name">The model's name, or null to take it from summary.json.</param>
    /// <param name="gate">The thresholds of <c>--fail-if-…</c>, checked on the rows once the report is written.</param>
    /// <exception cref="UsageException">An option is missing or out of range, or results.csv is not one adef attack wrote or
    /// has no attacked image.</exception>
    /// <exception cref="GateFailedException">The gate failed (the report is written).</exception>
    public static int Execute(string? results, string? output, double? epsilon, string? name, RobustnessGate gate)
    {
        gate.Validate();
        string csv = ResultsPath(results);
        if (epsilon is { } e && !(e > 0 && double.IsFinite(e)))
            throw new UsageException($"--epsilon must be a positive number, not {e.ToString(CultureInfo.InvariantCulture)}.");
        if (!ResultsCsv.HasHeader(csv))
            throw new UsageException($"'{csv}' is not a results.csv of adef attack: its first line must be {string.Join(',', ResultsCsv.Columns)} (then ,{ResultsCsv.TargetColumn} after a targeted run and ,{string.Join(',', ResultsCsv.NameColumns)} with class names).");
        List<ResultsCsv.Row> rows = ResultsCsv.Read(csv);
        if (rows.Count == 0) throw new UsageException($"'{csv}' lists no image.");
        RobustnessReport report = ResultsCsv.Report(rows);
        bool adef = report.IsDeformation;
        if (report.Summary.Attacked == 0)
            throw new UsageException($"'{csv}' attacked no image (all {rows.Count} were misclassified already): there is nothing to report.");
        gate.RequireLabels(report.LabelledImages);

        string folder = Path.GetDirectoryName(Path.GetFullPath(csv))!;
        RunFacts facts = RunFacts.Read(Path.Combine(folder, "summary.json"));
        string attack = adef ? "ADef" : "DeepFool";
        string how = ResultsCsv.LayoutOf(csv) is { Targeted: true } ? $"{attack} towards a target per image (success = ending on it)" : attack;
        var options = new RobustnessReportOptions
        {
            Epsilon = adef ? epsilon ?? RobustnessReportOptions.Default.Epsilon : RobustnessReportOptions.Default.Epsilon,
            DeepFoolEpsilon = adef ? null : epsilon,
            DatasetDescription = $"{rows.Count} image(s){(facts.Images is null ? "" : $" from {facts.Images}")}, attacked with {how} by adef attack ({Path.GetFullPath(csv)}).",
        };
        string model = name ?? facts.ModelName ?? Path.GetFileName(folder);
        string reportFolder = output ?? Path.Combine(folder, "report");
        WrittenRobustnessReport written = RobustnessReportWriter.Write(reportFolder, model, adef ? report : null, adef ? null : report, [], null, options);

        AnsiConsole.WriteLine($"{attack} on {model}:");
        AnsiConsole.WriteLine(report.ToString());
        AnsiConsole.MarkupLine($"Wrote {written.Files.Count} files to {Markup.Escape(Path.GetFullPath(reportFolder))} (open {RobustnessReportWriter.HtmlFileName}).");
        gate.Enforce(report);
        return ExitCodes.Done;
    }

    /// <summary>results.csv itself, or the one in the folder <paramref name="results"/>.</summary>
    private static string ResultsPath(string? results)
    {
        if (string.IsNullOrWhiteSpace(results)) throw new UsageException("--results is required (the attack's output folder or its results.csv).");
        string path = Directory.Exists(results) ? Path.Combine(results, "results.csv") : results;
        if (!File.Exists(path)) throw new UsageException($"'{path}' does not exist (--results takes the attack's output folder or its results.csv).");
        return path;
    }

    /// <summary>What summary.json beside results.csv says about the run, where it exists: a hand-written results.csv has none.</summary>
    private sealed record RunFacts(string? ModelName, string? Images)
    {
        public static RunFacts Read(string path)
        {
            if (!File.Exists(path)) return new RunFacts(null, null);
            try
            {
                using JsonDocument json = JsonDocument.Parse(File.ReadAllText(path));
                string? Text(string property) =>
                    json.RootElement.TryGetProperty(property, out JsonElement value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
                return new RunFacts(Text("model") is { } model ? Path.GetFileNameWithoutExtension(model) : null, Text("images"));
            }
            catch (JsonException)
            {
                // The names only label the report; a damaged summary.json should not stop it.
                AnsiConsole.MarkupLine($"[yellow]{Markup.Escape(path)} is not valid JSON; the report leaves out the model and image names.[/]");
                return new RunFacts(null, null);
            }
        }
    }
}
