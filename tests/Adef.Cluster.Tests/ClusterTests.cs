using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.Configuration;
using Orleans;
using Orleans.Configuration;
using Orleans.Hosting;
using Orleans.TestingHost;
using Xunit.Abstractions;

namespace Adef.Cluster.Tests;

/// <summary>The stand-in for an attack: sleeps a fixed time per image and returns a row per image named as idx names are.</summary>
public sealed class SleepingShardWorker : IShardWorker
{
    /// <summary>The sleep per image.</summary>
    public static readonly TimeSpan PerImage = TimeSpan.FromMilliseconds(5);

    /// <summary>Every image attacked, on any silo (the silos of a test cluster share the process).</summary>
    public static readonly ConcurrentDictionary<string, int> Attacks = new();

    public IReadOnlyList<ResultRow> Run(JobSpec job, Shard shard, CancellationToken cancellationToken)
    {
        Thread.Sleep(PerImage * shard.Count);
        cancellationToken.ThrowIfCancellationRequested();
        return [.. Enumerable.Range(shard.First, shard.Count).Select(i =>
        {
            string file = Name(i);
            Attacks.AddOrUpdate($"{job.JobId}:{file}", 1, (_, n) => n + 1);
            return new ResultRow(file, i % 10, (i + 1) % 10, true, "Fooled", 1, 0.5, 0.5, 1, 1, i % 10, (i + 1) % 10);
        })];
    }

    public static string Name(int i) => $"{i:D5}";
}

/// <summary>Silos of the test cluster: the worker with the sleeping classifier, and quick failure detection.</summary>
public sealed class SleepingSilo : ISiloConfigurator
{
    public void Configure(ISiloBuilder siloBuilder)
    {
        siloBuilder.AddAdefWorker<SleepingShardWorker>(o =>
        {
            o.PollInterval = TimeSpan.FromMilliseconds(20);
            o.RenewInterval = TimeSpan.FromMilliseconds(300);
        });
        // A dead silo is declared after about 2 missed probes of 1 s (the default takes 10 s or more).
        siloBuilder.Configure<ClusterMembershipOptions>(o =>
        {
            o.ProbeTimeout = TimeSpan.FromSeconds(1);
            o.NumMissedProbesLimit = 2;
        });
        siloBuilder.Configure<SiloMessagingOptions>(o => o.ResponseTimeout = TimeSpan.FromSeconds(5));
    }
}

/// <summary>The test client: short response timeout, so a call to a dead silo fails fast and is retried.</summary>
public sealed class QuickClient : IClientBuilderConfigurator
{
    public void Configure(IConfiguration configuration, IClientBuilder clientBuilder) =>
        clientBuilder.Configure<ClientMessagingOptions>(o => o.ResponseTimeout = TimeSpan.FromSeconds(5));
}

/// <summary>
/// The cluster on one machine (Orleans TestingHost, in-process silos on loopback). Few tests, each with many checks:
/// starting and stopping a cluster takes seconds.
/// </summary>
public class ClusterTests(ITestOutputHelper output)
{
    private static async Task<TestCluster> StartAsync(short silos)
    {
        var builder = new TestClusterBuilder(silos);
        builder.AddSiloBuilderConfigurator<SleepingSilo>();
        builder.AddClientBuilderConfigurator<QuickClient>();
        TestCluster cluster = builder.Build();
        await cluster.DeployAsync();
        return cluster;
    }

    private static JobSpec Job(string id, int images, int shardSize = 20, double leaseSeconds = 2) =>
        new(id, "model.onnx", "00", "images", null, images, shardSize, new AttackSpec(), TimeSpan.FromSeconds(leaseSeconds), 400);

    private static JobRequest Request(JobSpec spec) =>
        new(spec, [.. Enumerable.Range(0, spec.ImageCount).Select(SleepingShardWorker.Name)]);

    /// <summary>Runs a job, checking that every file comes once; returns the report.</summary>
    private static async Task<JobReport> RunExactlyOnceAsync(TestCluster cluster, JobSpec spec, Func<Task>? during = null)
    {
        var seen = new ConcurrentDictionary<string, int>();
        var client = new ClusterJobClient(cluster.Client);
        Task<JobReport> run = client.RunAsync(Request(spec), rows =>
        {
            foreach (ResultRow row in rows) seen.AddOrUpdate(row.File, 1, (_, n) => n + 1);
            return ValueTask.CompletedTask;
        });
        if (during is not null) await during();
        JobReport report = await run.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Empty(report.Failed);
        Assert.Equal(spec.ImageCount, report.Rows);
        Assert.Equal(spec.ImageCount, seen.Count);
        Assert.All(seen, kv => Assert.Equal(1, kv.Value));
        return report;
    }

    [Fact]
    public async Task ThroughputScalesWithTheSilos()
    {
        await using TestCluster cluster = await StartAsync(1);
        var rates = new Dictionary<int, double>();
        foreach (int silos in (int[])[1, 2, 4])
        {
            if (cluster.GetActiveSilos().Count() < silos)
                await cluster.StartAdditionalSilosAsync(silos - cluster.GetActiveSilos().Count());
            // 3 s of sleeping per silo: ~600 images a silo at 5 ms each.
            JobSpec spec = Job($"scale-{silos}", 600 * silos);
            JobReport report = await RunExactlyOnceAsync(cluster, spec);
            rates[silos] = spec.ImageCount / report.Elapsed.TotalSeconds;
            output.WriteLine($"{silos} silo(s): {spec.ImageCount} images in {report.Elapsed.TotalSeconds:0.00} s, {rates[silos]:0} images/s " +
                             $"({rates[silos] / rates[1]:0.00}× one silo; ideal {silos * 1000 / SleepingShardWorker.PerImage.TotalMilliseconds:0}/s).");
        }
        Assert.True(rates[2] >= 1.5 * rates[1], $"2 silos: {rates[2]:0}/s vs {rates[1]:0}/s");
        Assert.True(rates[4] >= 2.5 * rates[1], $"4 silos: {rates[4]:0}/s vs {rates[1]:0}/s");
    }

    [Fact]
    public async Task KilledWorkersAndCoordinatorsLoseNoRowAndDuplicateNone()
    {
        await using TestCluster cluster = await StartAsync(4);
        string primary = cluster.Primary!.SiloAddress.ToParsableString();

        // (b) A worker silo holding a lease dies: its shard is re-queued, every row arrives once.
        JobSpec workerJob = Job("kill-worker", 1600);
        var coordinator = cluster.Client.GetGrain<IJobCoordinatorGrain>(workerJob.JobId);
        string? killed = null;
        var watch = Stopwatch.StartNew();
        JobReport afterWorkerKill = await RunExactlyOnceAsync(cluster, workerJob, async () =>
        {
            string host = await coordinator.Host();
            while (killed is null && watch.Elapsed < TimeSpan.FromSeconds(20))
            {
                if (await coordinator.Status() is { Done: > 5 } status &&
                    status.Leases.FirstOrDefault(l => l.Holder != primary && l.Holder != host) is { Holder: { } holder })
                {
                    SiloHandle victim = cluster.Silos.Single(s => s.SiloAddress.ToParsableString() == holder);
                    await cluster.KillSiloAsync(victim);
                    killed = holder;
                }
                else await Task.Delay(20);
            }
        });
        Assert.NotNull(killed);
        output.WriteLine($"Worker silo killed holding a lease: {afterWorkerKill.Rows} rows once each, " +
                         $"{afterWorkerKill.AttackedTwice} image(s) reported attacked twice ({AttackedTwice(workerJob)} in fact, " +
                         $"counting work lost with the silo), {afterWorkerKill.Elapsed.TotalSeconds:0.00} s.");

        // (c) The silo hosting the coordinator dies: the client re-submits what it has not received; rows still once each.
        string? jobId = null;
        for (int i = 0; jobId is null && i < 50; i++)
        {
            // Placement is the runtime's choice: pick a job id whose coordinator is not on the primary silo (which holds
            // the test cluster's membership table, so killing it would end the cluster).
            string host = await cluster.Client.GetGrain<IJobCoordinatorGrain>($"kill-coordinator-{i}").Host();
            if (host != primary) jobId = $"kill-coordinator-{i}";
        }
        Assert.NotNull(jobId);
        JobSpec coordinatorJob = Job(jobId, 1600);
        var doomed = cluster.Client.GetGrain<IJobCoordinatorGrain>(jobId);
        string coordinatorHost = await doomed.Host();
        JobReport afterCoordinatorKill = await RunExactlyOnceAsync(cluster, coordinatorJob, async () =>
        {
            while (await doomed.Status() is not { Done: > 10 }) await Task.Delay(20);
            await cluster.KillSiloAsync(cluster.Silos.Single(s => s.SiloAddress.ToParsableString() == coordinatorHost));
        });
        Assert.True(afterCoordinatorKill.Resubmissions >= 1);
        output.WriteLine($"Coordinator's silo killed: {afterCoordinatorKill.Rows} rows once each after {afterCoordinatorKill.Resubmissions} " +
                         $"re-submission(s), {afterCoordinatorKill.AttackedTwice} image(s) reported attacked twice ({AttackedTwice(coordinatorJob)} in fact), " +
                         $"{afterCoordinatorKill.Elapsed.TotalSeconds:0.00} s.");
    }

    /// <summary>Images of the job the sleeping workers attacked more than once, whether or not their rows reached anyone.</summary>
    private static int AttackedTwice(JobSpec job) =>
        SleepingShardWorker.Attacks.Count(kv => kv.Key.StartsWith(job.JobId + ":", StringComparison.Ordinal) && kv.Value > 1);
}
