using Adef.Cli;
using Adef.MLNet.Evaluation;
using Adef.MLNet.Tests.TestSupport;
using static Adef.MLNet.Tests.Cli.CliRunner;

namespace Adef.MLNet.Tests.Cli;

/// <summary>The validation gate (--fail-if-success-above, --budget, --fail-if-accuracy-below) on adef report over hand-written
/// results.csv files: which values pass, which fail with exit 2 and one line, and which are bad input.</summary>
[Collection(ConsoleDisplayCollection.Name)]
public sealed class GateTests : IDisposable
{
    private static readonly string Header = string.Join(',', ResultsCsv.Columns) + "\n";

    // Five labelled images, four attacked: fooled with ‖τ‖_T 1 px (ℓ2 0.5) and 4 px (ℓ2 2.5), two failures, one misclassified.
    // Success rate 2/4 = 0.5; within ‖τ‖_T ≤ 1 px 0.25; accuracy 4/5 = 0.8.
    private const string AdefRows =
        "a.png,1,0,true,Fooled,3,1,2,0.5,0.1,1,true,0\n" +
        "b.png,1,0,true,Fooled,7,4,9,2.5,0.3,1,true,1\n" +
        "c.png,1,1,false,MaxIterationsReached,50,9,20,9,0.9,1,true,1\n" +
        "d.png,3,3,false,Stalled,5,2,4,1,0.2,3,true,3\n" +
        "e.png,2,2,false,AlreadyMisclassified,0,0,0,0,0,7,false,2\n";

    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    private string Results(string rows)
    {
        string folder = _temp.File(Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "results.csv"), Header + rows);
        return folder;
    }

    private (int Exit, string Error, bool ReportWritten) Report(string rows, params string[] gate)
    {
        string folder = Results(rows);
        var (exit, _, error) = Run(["report", "--results", folder, .. gate]);
        return (exit, error, File.Exists(Path.Combine(folder, "report", RobustnessReportWriter.JsonFileName)));
    }

    [Theory]
    [InlineData("0.5")]  // equal to the measured rate: not above
    [InlineData("1")]
    public void ASuccessRateAtOrBelowTheThresholdPasses(string threshold)
    {
        Assert.Equal((0, "", true), Report(AdefRows, "--fail-if-success-above", threshold));
    }

    [Fact]
    public void ASuccessRateAboveTheThresholdFailsWithExit2AndOneLineNamingBothAfterWritingTheReport()
    {
        var (exit, error, written) = Report(AdefRows, "--fail-if-success-above", "0.49");

        Assert.Equal(ExitCodes.GateFailed, exit);
        Assert.Equal("gate failed: success rate is 0.5 (2 of 4 attacked images), above --fail-if-success-above 0.49", Assert.Single(Lines(error)));
        Assert.True(written);
    }

    [Theory]
    [InlineData("1", "0.25", 0)]     // only the 1 px success counts, and the budget itself is within
    [InlineData("0.999", "0", 0)]    // none within: 0 ≤ 0
    [InlineData("4", "0.25", 2)]     // both within: 0.5
    [InlineData("1", "0.2", 2)]
    public void TheBudgetCountsOnlySuccessesWithinItsTNorm(string budget, string threshold, int expectedExit)
    {
        var (exit, error, _) = Report(AdefRows, "--fail-if-success-above", threshold, "--budget", budget);

        Assert.Equal(expectedExit, exit);
        if (budget == "1" && expectedExit == 2)
            Assert.Equal("gate failed: success rate within ‖τ‖_T ≤ 1 px is 0.25 (1 of 4 attacked images), above --fail-if-success-above 0.2", error.Trim());
    }

    [Fact]
    public void ADeepFoolBudgetIsInPixelL2()
    {
        string rows = string.Concat(AdefRows.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(row => string.Join(',', row.Split(',').Select((field, i) => i is 6 or 7 ? "" : field)) + "\n"));

        var (exit, error, _) = Report(rows, "--fail-if-success-above", "0", "--budget", "0.5");

        Assert.Equal(2, exit);
        Assert.Equal("gate failed: success rate within pixel ℓ2 ≤ 0.5 is 0.25 (1 of 4 attacked images), above --fail-if-success-above 0", error.Trim());
    }

    [Theory]
    [InlineData("0.8", 0)]  // equal: not below
    [InlineData("0.81", 2)]
    public void AccuracyBelowTheThresholdFails(string threshold, int expectedExit)
    {
        var (exit, error, written) = Report(AdefRows, "--fail-if-accuracy-below", threshold);

        Assert.Equal((expectedExit, true), (exit, written));
        Assert.Equal(expectedExit == 0 ? "" : $"gate failed: accuracy is 0.8 (4 of 5 labelled images), below --fail-if-accuracy-below {threshold}", error.Trim());
    }

    [Fact]
    public void BothThresholdsCrossedAreNamedOnOneLine()
    {
        var (exit, error, _) = Report(AdefRows, "--fail-if-success-above", "0.1", "--fail-if-accuracy-below", "0.9");

        Assert.Equal(2, exit);
        string line = Assert.Single(Lines(error));
        Assert.Contains("success rate is 0.5", line);
        Assert.Contains("; accuracy is 0.8", line);
    }

    [Theory]
    [InlineData("--fail-if-success-above", "1.5", "--fail-if-success-above must be a rate in [0, 1]")]
    [InlineData("--fail-if-accuracy-below", "-0.1", "--fail-if-accuracy-below must be a rate in [0, 1]")]
    [InlineData("--budget", "1", "--budget applies to --fail-if-success-above")]
    public void ThresholdsOutOfRangeAreBadInputBeforeAnythingIsWritten(string option, string value, string message)
    {
        var (exit, error, written) = Report(AdefRows, option, value);

        Assert.Equal((1, false), (exit, written));
        Assert.StartsWith("error: " + message, Assert.Single(Lines(error)));
    }

    [Fact]
    public void ANegativeBudgetIsBadInput()
    {
        var (exit, error, _) = Report(AdefRows, "--fail-if-success-above", "0.5", "--budget", "-1");

        Assert.Equal(1, exit);
        Assert.StartsWith("error: --budget must be a finite norm ≥ 0", error);
    }

    [Fact]
    public void AnAccuracyGateWithoutTrueLabelsIsBadInput()
    {
        string unlabelled = string.Concat(AdefRows.Split('\n', StringSplitOptions.RemoveEmptyEntries).Take(4)
            .Select(row => string.Join(',', row.Split(',').Select((field, i) => i is 10 or 11 ? "" : field)) + "\n"));

        var (exit, error, written) = Report(unlabelled, "--fail-if-accuracy-below", "0.5");

        Assert.Equal((1, false), (exit, written));
        Assert.StartsWith("error: --fail-if-accuracy-below needs true labels", error);
    }

    [Fact]
    public void AResultsCsvWithClassNameColumnsIsReportedAndGatedAlike()
    {
        string named = string.Concat(AdefRows.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(row => row + ",\"tench, Tinca tinca\",goldfish,\n"));
        string folder = _temp.File("named");
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "results.csv"),
            string.Join(',', [.. ResultsCsv.Columns, .. ResultsCsv.NameColumns]) + "\n" + named);

        var (exit, _, error) = Run(["report", "--results", folder, "--fail-if-success-above", "0.49"]);

        Assert.Equal(2, exit);
        Assert.StartsWith("gate failed: success rate is 0.5 (2 of 4", error);
    }

    [Fact]
    public void HelpListsTheGateAndItsExitCode()
    {
        var (exit, output, _) = Run(["report", "--help"]);

        Assert.Equal(0, exit);
        Assert.Contains("--fail-if-success-above", output);
        Assert.Contains("2 gate failed", output);
    }
}
