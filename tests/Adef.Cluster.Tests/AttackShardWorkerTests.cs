using System.Buffers.Binary;
using Adef.MLNet.Attacks;
using Adef.MLNet.Classifiers;
using Adef.MLNet.Data;
using Xunit.Abstractions;

namespace Adef.Cluster.Tests;

/// <summary>
/// The real shard worker on the ONNX Model Zoo's MNIST CNN from ../shared/data (skipped with a message where it is absent):
/// a shard gives the rows a single-process attack of the same images in one batch gives.
/// </summary>
public sealed class AttackShardWorkerTests(ITestOutputHelper output) : IDisposable
{
    private static readonly string ModelPath = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory,
        "../../../../../../shared/data/models/mnist-zoo/mnist_batchN.onnx"));

    private readonly string _folder = Directory.CreateTempSubdirectory("adef-cluster-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    /// <summary>An idx file of <paramref name="count"/> random 28×28 digits.</summary>
    private string WriteDigits(int count)
    {
        var bytes = new byte[16 + count * 28 * 28];
        BinaryPrimitives.WriteInt32BigEndian(bytes, 0x0803);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4), count);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(8), 28);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(12), 28);
        new Random(4).NextBytes(bytes.AsSpan(16));
        string path = Path.Combine(_folder, "digits-images-idx3-ubyte");
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private static JobSpec Job(string images, int count, int shardSize, string? sha = null) =>
        new("real", ModelPath, sha ?? ModelCache.Sha256Of(ModelPath), images, null, count, shardSize,
            new AttackSpec(Attack: "adef", Preset: "mnist", Channels: "gray", Scale: 255, BatchSize: shardSize),
            TimeSpan.FromSeconds(30), 100);

    [SkippableFact]
    public void AShardGivesTheRowsOfASingleProcessBatch()
    {
        Skip.IfNot(File.Exists(ModelPath), $"The MNIST model is not at {ModelPath} (../shared/data is beside the repository on the project's machines).");
        const int count = 6;
        string images = WriteDigits(count);
        using var models = new ModelCache();
        var worker = new AttackShardWorker(models);

        JobSpec whole = Job(images, count, count);
        IReadOnlyList<ResultRow> shardRows = worker.Run(whole, ShardPlan.Cut("real", count, count)[0], CancellationToken.None);

        // The single-process path: the same images, read and attacked in one batch.
        using var reference = LoadedModel.Load(ModelPath, whole.Attack, ComputeDevice.Cpu);
        ImageSource source = ImageSource.Open(images, 28, 28);
        var pixels = new float[count * 28 * 28];
        source.ReadNormalized(0, count, reference.Preprocessing, pixels);
        AdefResult[] direct = new AdefAttack(reference.Classifier, (AdefOptions)reference.Options).Run(pixels);
        Assert.Equal(source.Names, shardRows.Select(r => r.File));
        for (int i = 0; i < count; i++)
        {
            Assert.Equal(direct[i].Outcome.ToString(), shardRows[i].Outcome);
            Assert.Equal(direct[i].AdversarialLabel, shardRows[i].AdversarialLabel);
            Assert.Equal(direct[i].TNorm, shardRows[i].TNorm);
            Assert.Equal(direct[i].PixelL2, shardRows[i].PixelL2);
        }

        // Two shards of three: other batch compositions; report how many rows differ at all.
        JobSpec halves = Job(images, count, 3);
        var split = ShardPlan.Cut("real", count, 3).SelectMany(s => worker.Run(halves, s, CancellationToken.None)).ToList();
        int differing = split.Zip(shardRows).Count(p => !p.First.CsvFields().SequenceEqual(p.Second.CsvFields()));
        output.WriteLine($"Shards of 3 vs one batch of 6: {differing} of {count} row(s) differ.");
        Assert.Equal(shardRows.Select(r => r.File), split.Select(r => r.File));
    }

    [SkippableFact]
    public void AnotherModelFileFailsTheShardWithTheReason()
    {
        Skip.IfNot(File.Exists(ModelPath), $"The MNIST model is not at {ModelPath}.");
        string images = WriteDigits(2);
        using var models = new ModelCache();
        var worker = new AttackShardWorker(models);
        JobSpec job = Job(images, 2, 2, sha: new string('0', 64));
        var e = Assert.Throws<ModelHashMismatchException>(() => worker.Run(job, ShardPlan.Cut("real", 2, 2)[0], CancellationToken.None));
        Assert.Contains("SHA-256", e.Message);
    }
}
