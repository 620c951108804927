using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Orleans;

namespace Adef.Cluster;

/// <summary>A job as the client submits it.</summary>
/// <param name="Spec">The job.</param>
/// <param name="Names">The input list, in the source's order (<see cref="Adef.MLNet.Data.ImageSource.Names"/>).</param>
/// <param name="Done">Names already in results.csv (<c>--resume</c>), or null.</param>
public sealed record JobRequest(JobSpec Spec, IReadOnlyList<string> Names, IReadOnlySet<string>? Done = null)
{
    /// <summary>In a targeted job, the target label of the image at an index of <see cref="Names"/> (every image of a shard
    /// that is submitted, done ones included); null for an untargeted job.</summary>
    public Func<int, int>? ShardTargets { get; init; }
}

/// <summary>How a job ended.</summary>
/// <param name="Rows">Rows handed to the caller (each file once).</param>
/// <param name="Failed">Shards given up on after repeated failures, with the reason.</param>
/// <param name="AttackedTwice">Images attacked more than once (a lease lost to a dead or slow worker, a coordinator re-created).</param>
/// <param name="Resubmissions">How many times the client re-submitted after the coordinator was lost.</param>
/// <param name="Elapsed">From submission to the last row.</param>
public sealed record JobReport(int Rows, IReadOnlyList<FailedShard> Failed, long AttackedTwice, int Resubmissions, TimeSpan Elapsed);

/// <summary>
/// Runs a job on the cluster: submits its shards, collects the rows, hands each file's row to the caller exactly once,
/// acknowledges them after the caller has them, and re-submits what is missing when the coordinator's silo dies.
/// </summary>
/// <param name="grains">The cluster client's grain factory.</param>
/// <param name="logger">A logger, or null.</param>
public sealed class ClusterJobClient(IGrainFactory grains, ILogger<ClusterJobClient>? logger = null)
{
    private readonly ILogger _logger = (ILogger?)logger ?? NullLogger.Instance;

    /// <summary>How long the client waits between polls when no rows are waiting. Default 50 ms.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromMilliseconds(50);

    /// <summary>Rows collected per call. Default 2,000.</summary>
    public int MaxRowsPerCollect { get; init; } = 2000;

    /// <summary>
    /// Runs the job to its end. <paramref name="onRows"/> receives every file's row once, in batches; rows are acknowledged
    /// to the coordinator only after it returns, so a row is never lost between the two (a killed client resumes with
    /// <see cref="JobRequest.Done"/>).
    /// </summary>
    /// <exception cref="ArgumentException">The job is invalid or the names do not match its image count.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was canceled.</exception>
    public async Task<JobReport> RunAsync(JobRequest request, Func<IReadOnlyList<ResultRow>, ValueTask> onRows,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(onRows);
        JobSpec spec = request.Spec;
        spec.Validate();
        if (request.Names.Count != spec.ImageCount)
            throw new ArgumentException($"{request.Names.Count} names for a job of {spec.ImageCount} image(s).", nameof(request));
        var stopwatch = Stopwatch.StartNew();
        IReadOnlySet<string> done = request.Done ?? new HashSet<string>(StringComparer.Ordinal);
        var pending = ShardPlan.Missing(spec.JobId, request.Names, spec.ShardSize, done)
            .Select(s => request.ShardTargets is { } target ? s with { Targets = [.. Enumerable.Range(s.First, s.Count).Select(target)] } : s)
            .ToDictionary(s => s.Index);
        var received = new HashSet<string>(done, StringComparer.Ordinal);
        var known = new HashSet<string>(request.Names, StringComparer.Ordinal);
        var failed = new Dictionary<int, FailedShard>();
        var coordinator = grains.GetGrain<IJobCoordinatorGrain>(spec.JobId);
        long duplicateRows = 0, attackedTwiceEarlierEpochs = 0, attackedTwiceThisEpoch = 0;
        int resubmissions = -1, rows = 0;
        string? epoch = null;
        long after = 0;
        using CancellationTokenRegistration closeOnCancel = cancellationToken.Register(() => _ = CloseAsync(coordinator, spec.JobId));
        while (pending.Count > 0)
        {
            cancellationToken.ThrowIfCancellationRequested();
            RowBatch batch;
            try
            {
                if (epoch is null)
                {
                    // First submission, or a re-submission of every shard not received after the coordinator was lost.
                    epoch = await coordinator.Submit(spec, [.. pending.Values.OrderBy(s => s.Index)]);
                    after = 0;
                    attackedTwiceEarlierEpochs += attackedTwiceThisEpoch;
                    attackedTwiceThisEpoch = 0;
                    resubmissions++;
                }
                batch = await coordinator.Collect(after, MaxRowsPerCollect);
            }
            catch (Exception e) when (e is not OperationCanceledException && e is not ArgumentException)
            {
                _logger.LogWarning("Job {Job}: the coordinator did not answer ({Error}); retrying.", spec.JobId, e.Message);
                await Task.Delay(PollInterval * 4, cancellationToken);
                continue;
            }
            if (!batch.Known || batch.Epoch != epoch)
            {
                _logger.LogWarning("Job {Job}: the coordinator was re-created; re-submitting {Count} shard(s).", spec.JobId, pending.Count);
                epoch = null;
                continue;
            }
            attackedTwiceThisEpoch = batch.AttackedTwice;
            var fresh = new List<ResultRow>();
            foreach (ShardRows entry in batch.Entries)
            {
                foreach (ResultRow row in entry.Rows)
                {
                    if (!known.Contains(row.File))
                        _logger.LogWarning("Job {Job}: a worker sent a row for '{File}', which is not in the job's input; dropped.", spec.JobId, row.File);
                    else if (received.Add(row.File)) fresh.Add(row);
                    else if (!done.Contains(row.File)) duplicateRows++;
                }
                pending.Remove(entry.ShardIndex);
            }
            if (fresh.Count > 0)
            {
                await onRows(fresh);
                rows += fresh.Count;
            }
            if (batch.Entries.Length > 0)
            {
                after = batch.Entries[^1].Sequence;
                try
                {
                    await coordinator.Acknowledge(after);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // Not acknowledged: the rows may come again (dropped as duplicates) or the coordinator is gone.
                    _logger.LogDebug(e, "Job {Job}: acknowledging failed.", spec.JobId);
                }
            }
            foreach (FailedShard shard in batch.Failed)
                if (pending.Remove(shard.Shard.Index)) failed[shard.Shard.Index] = shard;
            if (batch.Entries.Length == 0 && pending.Count > 0) await Task.Delay(PollInterval, cancellationToken);
        }
        await CloseAsync(coordinator, spec.JobId);
        return new JobReport(rows, [.. failed.Values.OrderBy(f => f.Shard.Index)],
            attackedTwiceEarlierEpochs + attackedTwiceThisEpoch + duplicateRows, Math.Max(resubmissions, 0), stopwatch.Elapsed);
    }

    /// <summary>Ends the job on the coordinator (at the end, or when the caller cancels: the workers then stop taking its shards).</summary>
    private async Task CloseAsync(IJobCoordinatorGrain coordinator, string jobId)
    {
        try
        {
            await coordinator.Close().WaitAsync(TimeSpan.FromSeconds(5));
        }
        catch (Exception e)
        {
            _logger.LogDebug(e, "Job {Job}: closing the coordinator failed.", jobId);
        }
    }
}
