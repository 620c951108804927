using System.Text.Json;
using Adef.Cluster;
using Adef.MLNet.Attacks;
using Adef.MLNet.Classifiers.Onnx;
using Adef.MLNet.Data;
using Adef.MLNet.Tests.TestSupport;
using static Adef.MLNet.Tests.Cli.CliRunner;

namespace Adef.MLNet.Tests.Cli;

/// <summary>
/// A folder with a file that cannot be decoded: by default the file gets an Unreadable row and the rest are attacked;
/// <c>--strict</c> stops at it. And the images are read a window at a time, not all before the attack.
/// </summary>
[Collection(ConsoleDisplayCollection.Name)]
public sealed class UnreadableImagesTests : IDisposable
{
    private readonly CliInputs _inputs = new(3);
    private readonly string _folder;

    public UnreadableImagesTests()
    {
        _folder = _inputs.Temp.File("photos");
        for (int i = 0; i < 3; i++)
        {
            byte[] gray = _inputs.Pixels.AsSpan(i * 784, 784).ToArray();
            byte[] rgba = gray.SelectMany(v => new[] { v, v, v, (byte)255 }).ToArray();
            ImageFiles.SavePng(Path.Combine(_folder, $"digit{i}.png"), rgba, 28, 28);
        }
        File.WriteAllText(Path.Combine(_folder, "broken.png"), "not a PNG");
    }

    public void Dispose() => _inputs.Dispose();

    private (int Exit, string Output, string Error) Attack(string output, params string[] extra) => Run(
        ["attack", "--model", _inputs.Model, "--images", _folder, "--out", output, "--max-iterations", "2", "--batch-size", "2", .. extra]);

    [Fact]
    public void AnUndecodableFileGetsAnUnreadableRowAndTheOthersAreAttacked()
    {
        string output = _inputs.Temp.File("out");
        (int exit, _, string error) = Attack(output);

        Assert.True(exit == 0, error);
        string[][] rows = File.ReadAllLines(Path.Combine(output, "results.csv")).Skip(1).Select(l => l.Split(',')).ToArray();
        Assert.Equal(["broken.png", "digit0.png", "digit1.png", "digit2.png"], rows.Select(r => r[0]).Order());
        string[] broken = rows.Single(r => r[0] == "broken.png");
        Assert.Equal("Unreadable", broken[4]);
        Assert.All(rows.Where(r => r[0] != "broken.png"), r => Assert.NotEqual("Unreadable", r[4]));
        Assert.False(File.Exists(Path.Combine(output, "broken.png")));
        Assert.True(File.Exists(Path.Combine(output, "digit2.png")));

        using JsonDocument summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "summary.json")));
        Assert.Equal(4, summary.RootElement.GetProperty("imageCount").GetInt32());
        Assert.Equal(1, summary.RootElement.GetProperty("unreadableCount").GetInt32());
        JsonElement reason = summary.RootElement.GetProperty("unreadable")[0];
        Assert.Equal("broken.png", reason.GetProperty("file").GetString());
        Assert.Contains("broken.png", reason.GetProperty("reason").GetString());
        // The attack's numbers leave the unreadable file out: three images attacked (none has a label, so all are).
        Assert.Equal(3, summary.RootElement.GetProperty("summary").GetProperty("Attacked").GetInt32());

        // The report reads such a results.csv, and a resume does not try the file again.
        (int reportExit, _, string reportError) = Run(["report", "--results", Path.Combine(output, "results.csv"), "--out", _inputs.Temp.File("report")]);
        Assert.True(reportExit == 0, reportError);
        Assert.Equal(0, Attack(output, "--resume").Exit);
        Assert.Equal(5, File.ReadAllLines(Path.Combine(output, "results.csv")).Length);
    }

    [Fact]
    public void StrictStopsAtTheFirstUndecodableFileNamingIt()
    {
        (int exit, _, string error) = Attack(_inputs.Temp.File("strict"), "--strict");

        Assert.Equal(1, exit);
        Assert.Contains("broken.png", error);
    }

    [Fact]
    public void ImagesAreReadOneWindowAtATime()
    {
        using var classifier = new OnnxClassifier(_inputs.Model);
        var source = new CountingSource(ImageSource.Open(_folder, 28, 28));
        var options = new DeepFoolOptions { BatchSize = 1, MaxIterations = 1 };
        var attack = new ImageListAttack(classifier, new ImagePreprocessing(ChannelOrder.Gray, 1), options, source) { WindowImages = 2 };
        var readWhenDelivered = new List<int>();
        var delivered = new List<string>();

        attack.Run([0, 1, 2, 3], null, images =>
        {
            readWhenDelivered.Add(source.Reads);
            delivered.AddRange(images.Select(i => i.Row.File));
        });

        Assert.Equal(source.Names.Order(), delivered.Order());
        Assert.True(readWhenDelivered[0] <= 2, $"{readWhenDelivered[0]} images were read before the first row");
        Assert.Equal(4, source.Reads);
    }

    /// <summary>A source that counts the images read through it.</summary>
    private sealed class CountingSource(ImageSource inner) : ImageSource(inner.Width, inner.Height, inner.Names, inner.TrueLabels, inner.LabelsPath)
    {
        public int Reads { get; private set; }

        protected override void ReadPixelsCore(int start, int count, Span<byte> rgba)
        {
            Reads += count;
            inner.ReadPixels(start, count, rgba);
        }
    }
}
