using Adef.Cli;
using Adef.MLNet.Attacks;
using Adef.MLNet.Tests.TestSupport;
using static Adef.MLNet.Tests.Cli.CliRunner;

namespace Adef.MLNet.Tests.Cli;

/// <summary>
/// adef attack --valid-images end to end on an idx file and an exported MNIST-A: the fools_after_rounding column, the PNGs
/// read back from disk that still fool, and --resume refusing to mix the two forms of results.csv.
/// </summary>
[Collection(ConsoleDisplayCollection.Name)]
public sealed class ValidImagesOptionTests : IDisposable
{
    private const int Images = 6;
    private readonly CliInputs _inputs = new(Images);

    public void Dispose() => _inputs.Dispose();

    private (int Exit, string Output, string Error) Attack(string output, params string[] extra) => Run(
        ["attack", "--model", _inputs.Model, "--images", _inputs.Images, "--out", output, "--batch-size", "4",
            "--max-iterations", "50", "--overshoot-factor", "1.2", .. extra]);

    // Fails if the tool writes the unrounded adversarials, or reports rounding from memory rather than the PNG on disk.
    [Fact]
    public void EverySuccessFoolsFromItsPngAndSaysSoInItsOwnColumn()
    {
        string output = _inputs.Temp.File("valid");

        var (exit, _, error) = Attack(output, "--valid-images");

        Assert.Equal((0, ""), (exit, error));
        string csv = Path.Combine(output, "results.csv");
        Assert.Equal(string.Join(',', new ResultsCsv.Layout(Targeted: false, Names: false, Valid: true).Header), File.ReadLines(csv).First());
        List<ResultsCsv.Row> rows = ResultsCsv.Read(csv);
        Assert.Equal(Images, rows.Count);
        List<ResultsCsv.Row> fooled = rows.Where(r => r.Outcome == nameof(AttackOutcome.Fooled)).ToList();
        Assert.NotEmpty(fooled);
        Assert.All(fooled, r => Assert.True(r.FoolsAfterRounding));
        Assert.All(fooled, r => Assert.True(r.FooledAfterRounding, $"{r.File}: the PNG read back has label {r.PngLabel}"));
    }

    [Fact]
    public void ResumingWithoutTheOptionARunMadeWithItIsRefused()
    {
        string output = _inputs.Temp.File("mixed");
        Assert.Equal(0, Attack(output, "--valid-images", "--limit", "2").Exit);

        var (exit, _, error) = Attack(output, "--resume");

        Assert.Equal(1, exit);
        Assert.Contains("--valid-images", error);
        Assert.Equal(2, ResultsCsv.Read(Path.Combine(output, "results.csv")).Count);
    }
}
