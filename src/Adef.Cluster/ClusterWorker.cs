using System.Threading.Channels;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans;
using Orleans.Hosting;
using Orleans.Runtime;

namespace Adef.Cluster;

/// <summary>Turns a shard into its rows: the work itself, pluggable so tests can stand in a classifier that sleeps.</summary>
public interface IShardWorker
{
    /// <summary>
    /// Attacks the shard's images, one row per image in order. Runs on a worker thread of its own, never inside a grain
    /// call, so it may block for as long as the attack takes.
    /// </summary>
    /// <param name="job">The job.</param>
    /// <param name="shard">The shard.</param>
    /// <param name="cancellationToken">Canceled when the silo stops.</param>
    /// <exception cref="Exception">Any exception fails the shard with its message as the reason (three failures give it up).</exception>
    IReadOnlyList<ResultRow> Run(JobSpec job, Shard shard, CancellationToken cancellationToken);
}

/// <summary>How a silo's worker pulls and runs shards.</summary>
public sealed class ClusterWorkerOptions
{
    /// <summary>Shards leased at once (one running, one waiting so the next starts without a round trip). Default 2.</summary>
    public int MaxInFlight { get; set; } = 2;

    /// <summary>Shards run at once, each on its own thread. Default 1 (one model per GPU or per machine).</summary>
    public int Threads { get; set; } = 1;

    /// <summary>How long an idle worker waits before asking for work again. Default 100 ms.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>How often a held lease is renewed; well below the job's lease duration. Default 1 s.</summary>
    public TimeSpan RenewInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long a finished shard's rows are offered while the coordinator's buffer is full or the coordinator is
    /// being re-created; after it they are dropped and the shard is done again elsewhere. Default 2 min.</summary>
    public TimeSpan CompleteRetryLimit { get; set; } = TimeSpan.FromMinutes(2);
}

/// <summary>Adds the cluster's worker to a silo.</summary>
public static class ClusterWorkerExtensions
{
    /// <summary>
    /// Adds the worker service (an <see cref="IHostedService"/> pulling shards), the silo-wide <see cref="ModelCache"/> and
    /// <typeparamref name="TWorker"/> as the work. The coordinator and registry grains come with this assembly.
    /// </summary>
    /// <param name="silo">The silo.</param>
    /// <param name="configure">Changes to the worker's options, or null.</param>
    public static ISiloBuilder AddAdefWorker<TWorker>(this ISiloBuilder silo, Action<ClusterWorkerOptions>? configure = null)
        where TWorker : class, IShardWorker
    {
        ArgumentNullException.ThrowIfNull(silo);
        if (configure is not null) silo.Services.Configure(configure);
        silo.Services.AddSingleton<ModelCache>();
        silo.Services.AddSingleton<IShardWorker, TWorker>();
        silo.Services.AddHostedService<ClusterWorkerService>();
        return silo;
    }
}

/// <summary>
/// The worker of one silo: pulls shards from the running jobs when it has room (at most
/// <see cref="ClusterWorkerOptions.MaxInFlight"/>), runs them on its own threads (not in grain calls, whose response
/// timeout is 30 s), renews their leases while they wait and run, and reports rows or failures.
/// </summary>
internal sealed class ClusterWorkerService(IGrainFactory grains, ILocalSiloDetails silo, IShardWorker work,
    IOptions<ClusterWorkerOptions> options, ILogger<ClusterWorkerService> logger) : BackgroundService
{
    private readonly ClusterWorkerOptions _options = options.Value;
    private readonly Channel<Held> _ready = Channel.CreateUnbounded<Held>(new UnboundedChannelOptions { SingleWriter = true });
    private readonly List<Thread> _threads = [];
    private int _nextJob;

    /// <summary>A leased shard and the renewal that keeps it.</summary>
    private sealed record Held(Lease Lease, IJobCoordinatorGrain Coordinator, CancellationTokenSource StopRenewing);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (_options.MaxInFlight < 1 || _options.Threads < 1)
            throw new InvalidOperationException("ClusterWorkerOptions.MaxInFlight and Threads must be at least 1.");
        string holder = silo.SiloAddress.ToParsableString();
        string workerId = $"{holder}/worker";
        using var slots = new SemaphoreSlim(_options.MaxInFlight);
        for (int i = 0; i < _options.Threads; i++)
        {
            var thread = new Thread(() => RunShards(slots, stoppingToken)) { IsBackground = true, Name = $"adef-worker-{i}" };
            _threads.Add(thread);
            thread.Start();
        }
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                await slots.WaitAsync(stoppingToken);
                Held? held = null;
                try
                {
                    held = await TryLeaseAsync(workerId, holder);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // The silo may still be joining, or a coordinator's silo just died: ask again after the poll interval.
                    logger.LogDebug(e, "Asking for work failed.");
                }
                if (held is null)
                {
                    slots.Release();
                    await Task.Delay(_options.PollInterval, stoppingToken);
                    continue;
                }
                _ = RenewAsync(held);
                _ready.Writer.TryWrite(held);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            _ready.Writer.TryComplete();
            // The threads see the token; their unfinished leases expire and are re-queued on other silos.
            foreach (Thread thread in _threads) thread.Join(TimeSpan.FromSeconds(5));
        }
    }

    private async Task<Held?> TryLeaseAsync(string workerId, string holder)
    {
        string[] jobs = await grains.GetGrain<IJobRegistryGrain>(0).Active();
        for (int i = 0; i < jobs.Length; i++)
        {
            // Round robin over the jobs, so one job does not starve another.
            string job = jobs[(_nextJob + i) % jobs.Length];
            var coordinator = grains.GetGrain<IJobCoordinatorGrain>(job);
            if (await coordinator.Acquire(workerId, holder) is { } lease)
            {
                _nextJob = (_nextJob + i + 1) % jobs.Length;
                return new Held(lease, coordinator, new CancellationTokenSource());
            }
        }
        return null;
    }

    private async Task RenewAsync(Held held)
    {
        try
        {
            while (!held.StopRenewing.IsCancellationRequested)
            {
                await Task.Delay(_options.RenewInterval, held.StopRenewing.Token);
                try
                {
                    if (!await held.Coordinator.Renew(held.Lease.LeaseId))
                        logger.LogDebug("Lease {Lease} of shard {Shard} is no longer held; finishing it anyway.", held.Lease.LeaseId, held.Lease.Shard.Index);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    logger.LogDebug(e, "Renewing lease {Lease} failed.", held.Lease.LeaseId);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>A worker thread: runs ready shards one after another until the silo stops.</summary>
    private void RunShards(SemaphoreSlim slots, CancellationToken stoppingToken)
    {
        try
        {
            while (_ready.Reader.WaitToReadAsync(stoppingToken).AsTask().GetAwaiter().GetResult())
            {
                while (_ready.Reader.TryRead(out Held? held))
                {
                    IReadOnlyList<ResultRow>? rows = null;
                    string? failure = null;
                    try
                    {
                        rows = work.Run(held.Lease.Spec, held.Lease.Shard, stoppingToken);
                        if (rows.Count != held.Lease.Shard.Count)
                            failure = $"The worker returned {rows.Count} row(s) for the {held.Lease.Shard.Count} image(s) of shard {held.Lease.Shard.Index}.";
                    }
                    catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
                    {
                        held.StopRenewing.Cancel();
                        return;
                    }
                    catch (Exception e)
                    {
                        failure = $"{e.GetType().Name}: {e.Message}";
                    }
                    // Reporting is asynchronous: this thread starts the next shard while the rows travel (and wait, when the
                    // coordinator's buffer is full; the slot is freed only then, which is the back-pressure).
                    _ = FinishAsync(held, failure is null ? rows : null, failure, slots, stoppingToken);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private async Task FinishAsync(Held held, IReadOnlyList<ResultRow>? rows, string? failure, SemaphoreSlim slots, CancellationToken stoppingToken)
    {
        try
        {
            if (rows is null)
            {
                logger.LogWarning("Shard {Shard} of job {Job} failed: {Reason}", held.Lease.Shard.Index, held.Lease.Shard.JobId, failure);
                await held.Coordinator.Fail(held.Lease.LeaseId, failure ?? "unknown");
                return;
            }
            ResultRow[] array = [.. rows];
            DateTime giveUp = DateTime.UtcNow + _options.CompleteRetryLimit;
            while (true)
            {
                CompleteStatus status;
                try
                {
                    status = await held.Coordinator.Complete(held.Lease.LeaseId, held.Lease.Shard.Index, array);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    logger.LogDebug(e, "Reporting shard {Shard} failed; retrying.", held.Lease.Shard.Index);
                    status = CompleteStatus.UnknownJob;
                }
                if (status is CompleteStatus.Accepted or CompleteStatus.Duplicate) return;
                if (DateTime.UtcNow > giveUp)
                {
                    logger.LogWarning("Shard {Shard} of job {Job}: rows dropped after {Limit} of retries ({Status}).",
                        held.Lease.Shard.Index, held.Lease.Shard.JobId, _options.CompleteRetryLimit, status);
                    return;
                }
                await Task.Delay(_options.PollInterval, stoppingToken);
            }
        }
        catch (Exception e)
        {
            logger.LogDebug(e, "Finishing shard {Shard} stopped.", held.Lease.Shard.Index);
        }
        finally
        {
            // Not disposed: the renewal loop may still read its token; the source holds no timer.
            held.StopRenewing.Cancel();
            try
            {
                slots.Release();
            }
            catch (ObjectDisposedException)
            {
                // The service has stopped.
            }
        }
    }
}
