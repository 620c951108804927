using System.Text.Json;
using Adef.Cli;
using Adef.MLNet.Evaluation;
using Adef.MLNet.Tests.TestSupport;
using static Adef.MLNet.Tests.Cli.CliRunner;

namespace Adef.MLNet.Tests.Cli;

/// <summary>adef report on hand-written results.csv files: the numbers, the files of each attack's report, and bad input.</summary>
public sealed class ReportCommandTests : IDisposable
{
    private static readonly string Header = string.Join(',', ResultsCsv.Columns) + "\n";

    // Four labelled images: two fooled (ℓ2 0.5 and 2.5, ‖τ‖_T 1 and 4 px, 3 and 7 iterations), one not, one misclassified.
    private const string AdefRows =
        "a.png,1,0,true,Fooled,3,1,2,0.5,0.1,1,true,0\n" +
        "b.png,1,0,true,Fooled,7,4,9,2.5,0.3,1,true,1\n" +
        "c.png,1,1,false,MaxIterationsReached,50,9,20,9,0.9,1,true,1\n" +
        "d.png,2,2,false,AlreadyMisclassified,0,0,0,0,0,7,false,2\n";

    private static readonly string DeepFoolRows = string.Concat(AdefRows.Split('\n', StringSplitOptions.RemoveEmptyEntries)
        .Select(row => string.Join(',', row.Split(',').Select((field, i) => i is 6 or 7 ? "" : field)) + "\n"));

    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    private string Results(string name, string text)
    {
        string folder = _temp.File(name);
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "results.csv"), text);
        return folder;
    }

    private static RobustnessReportNumbers Numbers(string reportFolder) => JsonSerializer.Deserialize<RobustnessReportNumbers>(
        File.ReadAllText(Path.Combine(reportFolder, RobustnessReportWriter.JsonFileName)), RobustnessReportWriter.JsonOptions)!;

    [Fact]
    public void AnAdefResultsCsvGivesTheAdefReportBesideIt()
    {
        string folder = Results("adef-run", Header + AdefRows);

        var (exit, _, error) = Run(["report", "--results", folder, "--epsilon", "2"]);

        Assert.Equal((0, ""), (exit, error));
        string report = Path.Combine(folder, "report");
        RobustnessReportNumbers numbers = Numbers(report);
        Assert.Equal("adef-run", numbers.Model); // no summary.json: the folder's name
        Assert.Null(numbers.DeepFool);
        AttackReportNumbers adef = numbers.Adef!;
        Assert.Equal((4, 3, 2), (adef.Summary.Images, adef.Summary.Attacked, adef.Summary.Fooled));
        Assert.Equal(0.75, numbers.Accuracy, 12);
        Assert.Equal(5.0, adef.Summary.MeanIterations, 12);
        Assert.Equal(2.5, adef.MeanNorm, 12);              // ‖τ‖_T (1 + 4) / 2
        Assert.Equal(1.0 / 3, adef.SuccessRateWithinEpsilon!.Value, 12); // only ‖τ‖_T 1 ≤ 2, of 3 attacked
        Assert.True(File.Exists(Path.Combine(report, RobustnessReportWriter.HistogramFileName)));
        Assert.False(File.Exists(Path.Combine(report, RobustnessReportWriter.ExamplesFileName)));
    }

    [Fact]
    public void ADeepFoolResultsCsvGivesADeepFoolOnlyReportInPixelL2()
    {
        string csv = Path.Combine(Results("deepfool-run", Header + DeepFoolRows), "results.csv");
        string report = _temp.File("deepfool-report");

        var (exit, _, error) = Run(["report", "--results", csv, "--out", report, "--epsilon", "1", "--name", "Tiny"]);

        Assert.Equal((0, ""), (exit, error));
        RobustnessReportNumbers numbers = Numbers(report);
        Assert.Equal("Tiny", numbers.Model);
        Assert.Null(numbers.Adef);
        AttackReportNumbers deepFool = numbers.DeepFool!;
        Assert.Equal("pixel ℓ2", deepFool.Norm);
        Assert.Equal(1.5, deepFool.MeanNorm, 12);          // ℓ2 (0.5 + 2.5) / 2
        Assert.Equal(1.0 / 3, deepFool.SuccessRateWithinEpsilon!.Value, 12);
        string[] files = [RobustnessReportWriter.DeepFoolCurveFileName, RobustnessReportWriter.JsonFileName,
            RobustnessReportWriter.MarkdownFileName, RobustnessReportWriter.HtmlFileName];
        Assert.Equal(files.Order(), Directory.GetFiles(report).Select(Path.GetFileName).Order());
        string markdown = File.ReadAllText(Path.Combine(report, RobustnessReportWriter.MarkdownFileName));
        Assert.Contains("DeepFool: pixel ℓ2", markdown);
        Assert.DoesNotContain("‖τ‖_T of successful deformations", markdown);
    }

    [Theory]
    [InlineData("file,label\na.png,1\n", "is not a results.csv of adef attack")]
    [InlineData("HEADER", "lists no image")]
    [InlineData("HEADERa.png,1,0,true,Fooled,3,1,2,0.5,0.1,1,true,0\nb.png,1,0,true,Fooled,3,,,0.5,0.1,1,true,0\n", "1 of 2 rows have a t_norm")]
    [InlineData("HEADERd.png,2,2,false,AlreadyMisclassified,0,0,0,0,0,7,false,2\n", "attacked no image")]
    [InlineData("HEADERa.png,1,0,true,Fooledish,3,1,2,0.5,0.1,1,true,0\n", "the outcome 'Fooledish'")]
    public void AResultsCsvThatCannotBeReportedIsOneLineOfErrorAndNoReport(string text, string message)
    {
        string folder = Results("bad", text.Replace("HEADER", Header));

        var (exit, _, error) = Run(["report", "--results", folder]);

        Assert.Equal(1, exit);
        Assert.Contains(message, Assert.Single(Lines(error)));
        Assert.False(Directory.Exists(Path.Combine(folder, "report")));
    }

    [Fact]
    public void AMissingResultsCsvOrABadBudgetIsExit1()
    {
        Assert.Equal(1, Run(["report", "--results", _temp.File("nowhere")]).Exit);
        Assert.Equal(1, Run(["report"]).Exit);
        string folder = Results("budget", Header + AdefRows);
        var (exit, _, error) = Run(["report", "--results", folder, "--epsilon", "0"]);
        Assert.Equal(1, exit);
        Assert.Equal("error: --epsilon must be a positive number, not 0.", Assert.Single(Lines(error)));
    }
}
