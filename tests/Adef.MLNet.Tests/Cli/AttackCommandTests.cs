using System.Text.Json;
using Adef.Cli;
using Adef.MLNet.Evaluation;
using Adef.MLNet.Tests.TestSupport;
using static Adef.MLNet.Tests.Cli.CliRunner;

namespace Adef.MLNet.Tests.Cli;

/// <summary>adef attack end to end on an idx file and an exported MNIST-A: streaming, --resume, interruption and option errors.</summary>
[Collection(ConsoleDisplayCollection.Name)]
public sealed class AttackCommandTests : IDisposable
{
    private const int Images = 4;
    private readonly CliInputs _inputs = new(Images);
    private readonly TempFolder _temp;
    private readonly string _model;
    private readonly string _images;
    private readonly byte[] _pixels;

    public AttackCommandTests()
    {
        (_temp, _model, _images, _pixels) = (_inputs.Temp, _inputs.Model, _inputs.Images, _inputs.Pixels);
        WriteIdx("digits-labels-idx1-ubyte", [Images], [1, 2, 3, 4]);
    }

    public void Dispose() => _inputs.Dispose();

    private (int Exit, string Output, string Error) Attack(string output, string[] extra, CancellationToken cancel = default) => Run(
        ["attack", "--model", _model, "--images", _images, "--out", output, "--max-iterations", "3", "--batch-size", "2", .. extra], cancel);

    private static readonly string[] DeepFool = ["--attack", "deepfool", "--overshoot-fraction", "0.05"];

    [Fact]
    public void AResumedRunAppendsTheRemainingImagesAfterDroppingATornLine()
    {
        string output = _temp.File("out");
        Assert.Equal(0, Attack(output, ["--limit", "2", .. DeepFool]).Exit);
        string csv = Path.Combine(output, "results.csv");
        string[] first = File.ReadAllLines(csv);
        Assert.Equal(3, first.Length);
        File.AppendAllText(csv, "00002,1,2,tr");

        Assert.Equal(0, Attack(output, ["--resume", .. DeepFool]).Exit);

        string[] lines = File.ReadAllLines(csv);
        Assert.Equal(first, lines.Take(3));
        Assert.Equal(["00000", "00001", "00002", "00003"], lines.Skip(1).Select(l => l.Split(',')[0]).Order());
        Assert.All(lines.Skip(1), l => Assert.Equal(13, l.Split(',').Length));
        Assert.All(Enumerable.Range(0, Images), i => Assert.True(File.Exists(Path.Combine(output, $"{i:D5}.png"))));
        using JsonDocument summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "summary.json")));
        Assert.Equal(Images, summary.RootElement.GetProperty("imageCount").GetInt32());
        Assert.Equal(Images, summary.RootElement.GetProperty("labelled").GetInt32());
        Assert.Equal("gray", summary.RootElement.GetProperty("preprocessing").GetProperty("channels").GetString());
        Assert.Equal(0.05, summary.RootElement.GetProperty("options").GetProperty("OvershootFraction").GetDouble());
    }

    [Fact]
    public void TheReportOfAnAttacksResultsCsvSummarisesItAsSummaryJsonDoes()
    {
        // Without labels every image is attacked (the untrained MNIST-A gets none of the labels above right).
        string unlabelled = WriteIdx("noise-images-idx3-ubyte", [Images, 28, 28], _pixels);
        string output = _temp.File("adef");
        Assert.Equal(0, Run(["attack", "--model", _model, "--images", unlabelled, "--out", output, "--max-iterations", "3"]).Exit);

        var (exit, _, error) = Run(["report", "--results", output]);

        Assert.Equal((0, ""), (exit, error));
        var numbers = JsonSerializer.Deserialize<RobustnessReportNumbers>(
            File.ReadAllText(Path.Combine(output, "report", RobustnessReportWriter.JsonFileName)), RobustnessReportWriter.JsonOptions)!;
        Assert.Equal("mnist-a", numbers.Model); // the model file named in summary.json
        Assert.Equal(ResultsCsv.Summarise(ResultsCsv.Read(Path.Combine(output, "results.csv"))), numbers.Adef!.Summary);
        Assert.Equal(Images, numbers.Adef.Summary.Attacked);
        Assert.Equal(0, numbers.LabelledImages);
        Assert.True(File.Exists(Path.Combine(output, "report", RobustnessReportWriter.HtmlFileName)));
    }

    [Fact]
    public void AnInterruptedRunExitsWith130KeepingTheFinishedRowsForResume()
    {
        string output = _temp.File("interrupted");
        Assert.Equal(0, Attack(output, ["--limit", "2", .. DeepFool]).Exit);
        string csv = Path.Combine(output, "results.csv");
        string before = File.ReadAllText(csv);

        // Cancelled before the first step, as Ctrl+C would stop it mid-run: the rows already there stay as they were.
        var (exit, _, error) = Attack(output, ["--resume", .. DeepFool], new CancellationToken(canceled: true));

        Assert.Equal(130, exit);
        Assert.Equal("", error);
        Assert.Equal(before, File.ReadAllText(csv));
        using (JsonDocument summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "summary.json"))))
        {
            Assert.True(summary.RootElement.GetProperty("interrupted").GetBoolean());
            Assert.Equal(2, summary.RootElement.GetProperty("imageCount").GetInt32());
        }

        Assert.Equal(0, Attack(output, ["--resume", .. DeepFool]).Exit);
        Assert.Equal(Images + 1, File.ReadAllLines(csv).Length);
    }

    [Fact]
    public void AnOvershootFactorBelowOneIsOneLineOfErrorAndExit1BeforeAnythingIsWritten()
    {
        string output = _temp.File("bad");
        var (exit, _, error) = Attack(output, ["--overshoot-factor", "0.5"]);

        Assert.Equal(1, exit);
        string line = Assert.Single(Lines(error));
        Assert.StartsWith("error: Invalid ADef option --overshoot-factor:", line);
        Assert.Contains("Actual value was 0.5.", line); // the library's two-line message, joined
        Assert.False(Directory.Exists(output));
    }

    [Fact]
    public void AMissingModelIsOneLineOfErrorAndExit1()
    {
        var (exit, _, error) = Run(["attack", "--model", _temp.File("none.onnx"), "--images", _images, "--out", _temp.File("x")]);

        Assert.Equal(1, exit);
        Assert.Equal($"error: Model '{_temp.File("none.onnx")}' does not exist.", Assert.Single(Lines(error)));
    }

    [Fact]
    public void AMalformedModelIsOneLineOfErrorWithoutAStackTrace()
    {
        string model = _temp.File("broken.onnx");
        File.WriteAllBytes(model, [1, 2, 3, 4, 5]);

        var (exit, _, error) = Run(["attack", "--model", model, "--images", _images, "--out", _temp.File("broken")]);

        Assert.Equal(1, exit);
        Assert.StartsWith("error: ", Assert.Single(Lines(error)));
        Assert.DoesNotContain(" at ", error);
        Assert.False(Directory.Exists(_temp.File("broken")));
    }

    [Fact]
    public void TheOldSharedOvershootFlagIsAnUnknownOptionWithExit1()
    {
        var (exit, _, error) = Attack(_temp.File("old"), ["--overshoot", "1.2"]);

        Assert.Equal(1, exit);
        string line = Assert.Single(Lines(error));
        Assert.StartsWith("error: ", line);
        Assert.Contains("--overshoot", line);
        Assert.EndsWith("(see adef attack --help)", line);
    }

    [Fact]
    public void AFailedGateExitsWith2AndOneLineAfterWritingEveryOutput()
    {
        string output = _temp.File("gated");

        // The untrained MNIST-A gets none of the labels 1, 2, 3, 4 right: accuracy 0.
        var (exit, _, error) = Attack(output, ["--fail-if-accuracy-below", "0.5", .. DeepFool]);

        Assert.Equal(ExitCodes.GateFailed, exit);
        Assert.Equal("gate failed: accuracy is 0 (0 of 4 labelled images), below --fail-if-accuracy-below 0.5", Assert.Single(Lines(error)));
        Assert.True(File.Exists(Path.Combine(output, "summary.json")));
        Assert.Equal(Images + 1, File.ReadAllLines(Path.Combine(output, "results.csv")).Length);
    }

    [Fact]
    public void AnInterruptedRunExitsWith130WithoutApplyingTheGate()
    {
        var (exit, _, error) = Attack(_temp.File("gated-interrupted"), ["--fail-if-accuracy-below", "1", .. DeepFool],
            new CancellationToken(canceled: true));

        Assert.Equal((130, ""), (exit, error));
    }

    [Fact]
    public void ClassNamesAddNameColumnsToResultsCsvAndAResumeMustKeepThem()
    {
        string names = _temp.File("digits.txt");
        File.WriteAllLines(names, ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]);
        string output = _temp.File("named");

        Assert.Equal(0, Attack(output, ["--limit", "2", "--class-names", names, .. DeepFool]).Exit);

        string[] lines = File.ReadAllLines(Path.Combine(output, "results.csv"));
        Assert.Equal(string.Join(',', [.. ResultsCsv.Columns, .. ResultsCsv.NameColumns]), lines[0]);
        string[] digits = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"];
        foreach (string[] f in lines.Skip(1).Select(l => l.Split(',')))
            Assert.Equal([digits[int.Parse(f[1])], digits[int.Parse(f[2])], digits[int.Parse(f[10])]], f[13..]);
        var (exit, _, error) = Attack(output, ["--resume", .. DeepFool]);
        Assert.Equal(1, exit);
        Assert.Contains("was written with --class-names", error);
        Assert.Equal(lines, File.ReadAllLines(Path.Combine(output, "results.csv")));
    }

    [Fact]
    public void ClassNamesThatDoNotListEveryClassAreBadInput()
    {
        string names = _temp.File("nine.txt");
        File.WriteAllLines(names, Enumerable.Range(0, 9).Select(i => $"digit {i}"));

        var (exit, _, error) = Attack(_temp.File("nine"), ["--class-names", names]);

        Assert.Equal(1, exit);
        Assert.Contains("lists 9 names; the model has 10 classes", Assert.Single(Lines(error)));
    }

    private string WriteIdx(string name, int[] dimensions, byte[] data) => _inputs.WriteIdx(name, dimensions, data);
}
