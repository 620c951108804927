using System.Net;
using System.Net.Sockets;
using Adef.Cli;
using Adef.MLNet.Tests.TestSupport;
using static Adef.MLNet.Tests.Cli.CliRunner;

namespace Adef.MLNet.Tests.Cli;

/// <summary>
/// adef attack --cluster against an adef worker in this process (Orleans' localhost clustering on a free loopback port):
/// the same results.csv, PNGs and targets as the run in one process, and the cluster's facts in summary.json.
/// </summary>
[Collection(ConsoleDisplayCollection.Name)]
public sealed class ClusterAttackTests : IDisposable
{
    private const int Images = 6;
    private readonly CliInputs _inputs = new(Images);
    private readonly CancellationTokenSource _stopWorker = new();
    private readonly Task<(int Exit, string Output, string Error)> _worker;
    private readonly string _cluster;

    public ClusterAttackTests()
    {
        _cluster = $"localhost://127.0.0.1:{FreePort()}";
        _worker = Task.Run(() => Run(["worker", "--cluster", _cluster, "--cluster-id", "tests"], _stopWorker.Token));
    }

    public void Dispose()
    {
        _stopWorker.Cancel();
        Assert.True(_worker.Wait(TimeSpan.FromSeconds(30)), "the worker did not stop within 30 s");
        _inputs.Dispose();
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private (int Exit, string Output, string Error) Attack(string output, params string[] extra) => Run(
        ["attack", "--model", _inputs.Model, "--images", _inputs.Images, "--out", output, "--max-iterations", "3", "--batch-size", "2", .. extra]);

    [Fact]
    public void AClusterRunWritesTheRowsAndPngsOfARunInOneProcess()
    {
        string here = _inputs.Temp.File("here"), there = _inputs.Temp.File("there");
        string targets = _inputs.Temp.File("targets.csv");
        File.WriteAllText(targets, "file,target\n" + string.Concat(Enumerable.Range(0, Images).Select(i => $"{i:D5},{(i + 3) % 10}\n")));
        string[] options = ["--targets", targets, "--valid-images", "--attack", "deepfool"];

        Assert.Equal(0, Attack(here, options).Exit);
        (int exit, _, string error) = Attack(there, [.. options, "--cluster", _cluster, "--cluster-id", "tests", "--shard-size", "2"]);

        Assert.True(exit == 0, error);
        // Shards of one batch each attack the images in the batches of the run in one process: the same rows, in some order.
        Assert.Equal(File.ReadAllLines(Path.Combine(here, "results.csv")).Order(), File.ReadAllLines(Path.Combine(there, "results.csv")).Order());
        for (int i = 0; i < Images; i++)
            Assert.Equal(File.ReadAllBytes(Path.Combine(here, $"{i:D5}.png")), File.ReadAllBytes(Path.Combine(there, $"{i:D5}.png")));
        string summary = File.ReadAllText(Path.Combine(there, "summary.json"));
        Assert.Contains("\"jobId\": \"adef-", summary);
        Assert.Contains("\"failedShards\": []", summary);
    }

    [Fact]
    public void ResumeSubmitsOnlyTheMissingShards()
    {
        string output = _inputs.Temp.File("resumed");
        string[] cluster = ["--cluster", _cluster, "--cluster-id", "tests", "--shard-size", "2"];
        Assert.Equal(0, Attack(output, [.. cluster, "--limit", "4"]).Exit);
        string[] first = File.ReadAllLines(Path.Combine(output, "results.csv"));

        (int exit, _, string error) = Attack(output, [.. cluster, "--resume"]);

        Assert.True(exit == 0, error);
        string[] lines = File.ReadAllLines(Path.Combine(output, "results.csv"));
        Assert.Equal(first, lines.Take(first.Length));
        Assert.Equal(Enumerable.Range(0, Images).Select(i => $"{i:D5}"), lines.Skip(1).Select(l => l.Split(',')[0]).Order());
    }

    [Fact]
    public void AClusterWithoutAWorkerIsOneLineNamingIt()
    {
        (int exit, _, string error) = Attack(_inputs.Temp.File("nobody"), "--cluster", $"localhost://127.0.0.1:{FreePort()}", "--cluster-id", "none");

        Assert.Equal(1, exit);
        Assert.Single(Lines(error));
        Assert.Contains("none", error);
    }
}
