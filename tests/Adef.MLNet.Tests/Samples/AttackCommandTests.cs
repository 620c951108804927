using System.Text.Json;
using Adef.Experiments;
using Adef.MLNet.Tests.TestSupport;
using Adef.Samples;
using static TorchSharp.torch;

namespace Adef.MLNet.Tests.Samples;

/// <summary>The attack command end to end on an idx file and an exported MNIST-A: streaming, --resume and option errors.</summary>
[Collection(ConsoleDisplayCollection.Name)]
public sealed class AttackCommandTests : IDisposable
{
    private const int Images = 4;
    private readonly TempFolder _temp = new();
    private readonly string _model;
    private readonly string _images;

    public AttackCommandTests()
    {
        _model = _temp.File("mnist-a.onnx");
        manual_seed(11);
        MnistOnnxExporter.Save(new MnistA(), _model);
        var random = new Random(4);
        var pixels = new byte[Images * 28 * 28];
        random.NextBytes(pixels);
        _images = WriteIdx("digits-images-idx3-ubyte", [Images, 28, 28], pixels);
        WriteIdx("digits-labels-idx1-ubyte", [Images], [1, 2, 3, 4]);
    }

    public void Dispose() => _temp.Dispose();

    private int Attack(string output, params string[] extra) => AttackCommand.Create().Parse(
        ["--model", _model, "--images", _images, "--out", output, "--max-iterations", "3", "--batch-size", "2", .. extra]).Invoke();

    [Fact]
    public void AResumedRunAppendsTheRemainingImagesAfterDroppingATornLine()
    {
        string output = _temp.File("out");
        Assert.Equal(0, Attack(output, "--limit", "2", "--attack", "deepfool", "--overshoot-fraction", "0.05"));
        string csv = Path.Combine(output, "results.csv");
        string[] first = File.ReadAllLines(csv);
        Assert.Equal(3, first.Length);
        File.AppendAllText(csv, "00002,1,2,tr");

        Assert.Equal(0, Attack(output, "--resume", "--attack", "deepfool", "--overshoot-fraction", "0.05"));

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
    public void AnOvershootFactorBelowOneIsAUsageErrorBeforeAnythingIsWritten()
    {
        string output = _temp.File("bad");
        Assert.Equal(2, Attack(output, "--overshoot-factor", "0.5"));
        Assert.False(Directory.Exists(output));
    }

    [Fact]
    public void TheOldSharedOvershootFlagIsGone()
    {
        Assert.NotEqual(0, Attack(_temp.File("old"), "--overshoot", "1.2"));
    }

    private string WriteIdx(string name, int[] dimensions, byte[] data)
    {
        string path = _temp.File(name);
        File.WriteAllBytes(path, IdxBytes.Of(dimensions, data));
        return path;
    }
}
