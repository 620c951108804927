using Adef.Cli;
using Adef.MLNet.Attacks;
using Adef.MLNet.Data;
using Adef.MLNet.Evaluation;
using Adef.MLNet.Tests.TestSupport;
using static Adef.MLNet.Tests.Cli.CliRunner;

namespace Adef.MLNet.Tests.Cli;

/// <summary>
/// adef attack --targets end to end on an idx file and an exported MNIST-A: the targets CSV, the target column of
/// results.csv (only with --targets), --resume and adef report on the targeted form, and the errors.
/// </summary>
[Collection(ConsoleDisplayCollection.Name)]
public sealed class TargetsOptionTests : IDisposable
{
    private const int Images = 4;
    private readonly CliInputs _inputs = new(Images);

    public void Dispose() => _inputs.Dispose();

    private (int Exit, string Output, string Error) Attack(string output, string targets, params string[] extra) => Run(
        ["attack", "--model", _inputs.Model, "--images", _inputs.Images, "--out", output, "--batch-size", "3", "--targets", targets, .. extra]);

    private string Targets(string text)
    {
        string path = _inputs.Temp.File($"targets-{Guid.NewGuid():N}.csv");
        File.WriteAllText(path, text);
        return path;
    }

    /// <summary>A target per image that differs from the model's label of it (the untrained MNIST-A labels them all alike).</summary>
    private string TargetsAwayFromTheCleanLabels(int count = Images)
    {
        string plain = _inputs.Temp.File("plain");
        Assert.Equal(0, Run(["attack", "--model", _inputs.Model, "--images", _inputs.Images, "--out", plain, "--max-iterations", "0"]).Exit);
        List<ResultsCsv.Row> clean = ResultsCsv.Read(Path.Combine(plain, "results.csv"));
        return Targets("file,target\n" + string.Concat(clean.Take(count).Select((r, i) => $"{r.File},{(r.Original + 1 + i) % 10}\n")));
    }

    [Theory]
    [InlineData("adef")]
    [InlineData("deepfool")]
    public void ResultsCsvGainsATargetColumnAndSuccessMeansEndingOnTheTarget(string attack)
    {
        string targets = TargetsAwayFromTheCleanLabels(), output = _inputs.Temp.File($"targeted-{attack}");

        string[] options = attack == "adef" ? ["--max-iterations", "50", "--overshoot-factor", "1.2"] : ["--attack", "deepfool"];
        var (exit, _, error) = Attack(output, targets, options);

        Assert.Equal((0, ""), (exit, error));
        string csv = Path.Combine(output, "results.csv");
        Assert.Equal(string.Join(',', new ResultsCsv.Layout(Targeted: true, Names: false).Header), File.ReadLines(csv).First());
        IReadOnlyDictionary<string, int> wanted = LabelsCsv.ReadTargets(targets);
        List<ResultsCsv.Row> rows = ResultsCsv.Read(csv);
        Assert.Equal(Images, rows.Count);
        Assert.All(rows, r => Assert.Equal(wanted[r.File], r.Target));
        Assert.All(rows.Where(r => r.Outcome == nameof(AttackOutcome.Fooled)), r => Assert.Equal(r.Target.ToString(), r.Fields[2]));
        Assert.All(rows.Where(r => r.Fields[2] != r.Target.ToString()), r => Assert.Equal("false", r.Fields[3]));
        Assert.Contains(rows, r => r.Outcome == nameof(AttackOutcome.Fooled));
    }

    [Fact]
    public void AResumedTargetedRunAndItsReportReadTheTargetedForm()
    {
        string targets = TargetsAwayFromTheCleanLabels(), output = _inputs.Temp.File("resumed");
        Assert.Equal(0, Attack(output, targets, "--limit", "2", "--max-iterations", "2").Exit);

        Assert.Equal(0, Attack(output, targets, "--resume", "--max-iterations", "2").Exit);
        var (exit, _, error) = Run(["report", "--results", output]);

        Assert.Equal((0, ""), (exit, error));
        List<ResultsCsv.Row> rows = ResultsCsv.Read(Path.Combine(output, "results.csv"));
        Assert.Equal(["00000", "00001", "00002", "00003"], rows.Select(r => r.File).Order());
        Assert.All(rows, r => Assert.NotNull(r.Target));
        string report = File.ReadAllText(Path.Combine(output, "report", RobustnessReportWriter.JsonFileName));
        Assert.Contains("towards a target per image", report);
    }

    [Fact]
    public void AnImageWithoutATargetIsOneLineOfErrorNamingItBeforeAnythingIsWritten()
    {
        string output = _inputs.Temp.File("missing");
        var (exit, _, error) = Attack(output, Targets("file,target\n00000,3\n00002,4\n00003,5\n"));

        Assert.Equal(1, exit);
        Assert.Equal("error: --targets", Assert.Single(Lines(error))[..16]);
        Assert.Contains("no row for '00001'", error);
        Assert.False(Directory.Exists(output));
    }

    [Theory]
    [InlineData("path,label\n00000,3\n", "needs a header with a 'file' and a 'target' column")]
    [InlineData("file,target\n00000,10\n00001,1\n00002,1\n00003,1\n", "gives '00000' the target 10, which is not a class of the model")]
    [InlineData("file,target\n00000,x\n", "line 2")]
    public void AMalformedTargetsFileIsOneLineOfError(string text, string message)
    {
        var (exit, _, error) = Attack(_inputs.Temp.File("malformed"), Targets(text));

        Assert.Equal(1, exit);
        Assert.Contains(message, Assert.Single(Lines(error)));
    }

    [Fact]
    public void ResumingAcrossTheTwoFormsIsRefused()
    {
        string targets = TargetsAwayFromTheCleanLabels(), output = _inputs.Temp.File("mixed");
        Assert.Equal(0, Run(["attack", "--model", _inputs.Model, "--images", _inputs.Images, "--out", output, "--max-iterations", "1", "--limit", "1"]).Exit);

        var (exit, _, error) = Attack(output, targets, "--resume");

        Assert.Equal(1, exit);
        Assert.Contains("was written without --targets", error);
    }

    [Fact]
    public void TargetsAndRankTargetedExcludeEachOther()
    {
        var (exit, _, error) = Attack(_inputs.Temp.File("both"), TargetsAwayFromTheCleanLabels(), "--rank-targeted");

        Assert.Equal(1, exit);
        Assert.Contains("--rank-targeted", error);
    }
}
