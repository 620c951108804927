using Microsoft.Extensions.Logging;
using Orleans;
using Orleans.Runtime;

namespace Adef.Cluster;

/// <summary>The coordinator of one job (the grain's key is the job id). Every call is short: work never runs inside it.</summary>
[Alias("Adef.Cluster.IJobCoordinatorGrain")]
public interface IJobCoordinatorGrain : IGrainWithStringKey
{
    /// <summary>Submits (or re-submits) the job's shards; shards the coordinator already knows are skipped.</summary>
    /// <returns>The activation's epoch.</returns>
    /// <exception cref="ArgumentException">The job is invalid, or differs from the one this coordinator already runs.</exception>
    [Alias("Submit")]
    Task<string> Submit(JobSpec spec, Shard[] shards);

    /// <summary>Leases a shard to a worker, or returns null when none is queued or the row buffer is full.</summary>
    [Alias("Acquire")]
    Task<Lease?> Acquire(string workerId, string? holder);

    /// <summary>Extends a lease; false when it is no longer held.</summary>
    [Alias("Renew")]
    Task<bool> Renew(string leaseId);

    /// <summary>Reports a shard's rows (see <see cref="JobLedger.Complete"/>).</summary>
    [Alias("Complete")]
    Task<CompleteStatus> Complete(string leaseId, int shardIndex, ResultRow[] rows);

    /// <summary>Reports that a shard could not be done, with the reason.</summary>
    [Alias("Fail")]
    Task Fail(string leaseId, string reason);

    /// <summary>The buffered rows after a sequence number, and the failures.</summary>
    [Alias("Collect")]
    Task<RowBatch> Collect(long afterSequence, int maxRows);

    /// <summary>Drops the rows up to a sequence number: the client has written them.</summary>
    [Alias("Acknowledge")]
    Task Acknowledge(long upToSequence);

    /// <summary>The counts, or null before the job is submitted to this activation.</summary>
    [Alias("Status")]
    Task<JobStatus?> Status();

    /// <summary>The silo hosting this activation (its parsable address).</summary>
    [Alias("Host")]
    Task<string> Host();

    /// <summary>Ends the job: the workers stop polling it and the activation goes away.</summary>
    [Alias("Close")]
    Task Close();
}

/// <summary>The list of running jobs the workers poll (one grain, key 0). Coordinators re-register every few seconds,
/// so the list comes back by itself when its silo dies.</summary>
[Alias("Adef.Cluster.IJobRegistryGrain")]
public interface IJobRegistryGrain : IGrainWithIntegerKey
{
    /// <summary>Adds a job.</summary>
    [Alias("Register")]
    Task Register(string jobId);

    /// <summary>Removes a job.</summary>
    [Alias("Unregister")]
    Task Unregister(string jobId);

    /// <summary>The running jobs.</summary>
    [Alias("Active")]
    Task<string[]> Active();
}

/// <summary>The job registry: an in-memory set, rebuilt by the coordinators' re-registration after a loss.</summary>
internal sealed class JobRegistryGrain : Grain, IJobRegistryGrain
{
    private readonly SortedSet<string> _jobs = new(StringComparer.Ordinal);

    public Task Register(string jobId)
    {
        _jobs.Add(jobId);
        return Task.CompletedTask;
    }

    public Task Unregister(string jobId)
    {
        _jobs.Remove(jobId);
        return Task.CompletedTask;
    }

    public Task<string[]> Active() => Task.FromResult(_jobs.ToArray());
}

/// <summary>
/// The job coordinator: a <see cref="JobLedger"/> in memory, a timer that re-queues the leases of expired deadlines and
/// dead silos, and the registration the workers find jobs by. Its state is deliberately not persisted: when its silo
/// dies the client re-submits what it has not received (rows stay exactly once because the client de-duplicates).
/// </summary>
internal sealed class JobCoordinatorGrain(IClusterMembershipService membership, ILocalSiloDetails silo,
    ILogger<JobCoordinatorGrain> logger) : Grain, IJobCoordinatorGrain
{
    /// <summary>How often leases are checked (a dead holder's shards are re-queued within this plus membership's detection time).</summary>
    internal static readonly TimeSpan CheckInterval = TimeSpan.FromMilliseconds(200);

    private JobLedger? _ledger;
    private readonly string _epoch = Guid.NewGuid().ToString("N");
    private DateTimeOffset _lastRegistration;

    /// <summary>When the client last submitted or collected: a job no client collects for its client timeout is dropped.</summary>
    private DateTimeOffset _lastClientCall;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        // KeepAlive: an idle coordinator (every shard leased, nothing to collect) must not be deactivated with its state.
        this.RegisterGrainTimer(CheckLeasesAsync, new GrainTimerCreationOptions(CheckInterval, CheckInterval) { KeepAlive = true });
        return base.OnActivateAsync(cancellationToken);
    }

    public async Task<string> Submit(JobSpec spec, Shard[] shards)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(shards);
        if (spec.JobId != this.GetPrimaryKeyString())
            throw new ArgumentException($"Job '{spec.JobId}' was sent to the coordinator of '{this.GetPrimaryKeyString()}'.", nameof(spec));
        if (_ledger is null) _ledger = new JobLedger(spec);
        else if (!_ledger.Spec.SameWorkAs(spec))
            throw new ArgumentException($"Job '{spec.JobId}' is already running with another model, input or attack; use another job id.", nameof(spec));
        _lastClientCall = DateTimeOffset.UtcNow;
        int added = _ledger.Add(shards);
        logger.LogInformation("Job {Job}: {Added} of {Count} shard(s) submitted (epoch {Epoch}).", spec.JobId, added, shards.Length, _ledger.Epoch);
        await RegisterAsync();
        return _ledger.Epoch;
    }

    public Task<Lease?> Acquire(string workerId, string? holder) => Task.FromResult(_ledger?.TryLease(workerId, holder));

    public Task<bool> Renew(string leaseId) => Task.FromResult(_ledger?.Renew(leaseId) ?? false);

    public Task<CompleteStatus> Complete(string leaseId, int shardIndex, ResultRow[] rows) =>
        Task.FromResult(_ledger?.Complete(leaseId, shardIndex, rows) ?? CompleteStatus.UnknownJob);

    public Task Fail(string leaseId, string reason)
    {
        if (_ledger?.Fail(leaseId, reason) == true)
            logger.LogWarning("Job {Job}: a shard failed {Max} times and is given up: {Reason}", _ledger.Spec.JobId, JobLedger.MaxFailures, reason);
        return Task.CompletedTask;
    }

    public Task<RowBatch> Collect(long afterSequence, int maxRows)
    {
        _lastClientCall = DateTimeOffset.UtcNow;
        return Task.FromResult(_ledger?.Collect(afterSequence, maxRows) ?? new RowBatch(_epoch, false, [], [], 0));
    }

    public Task Acknowledge(long upToSequence)
    {
        _ledger?.Acknowledge(upToSequence);
        return Task.CompletedTask;
    }

    public Task<JobStatus?> Status() => Task.FromResult(_ledger?.Status());

    public Task<string> Host() => Task.FromResult(silo.SiloAddress.ToParsableString());

    public async Task Close()
    {
        await GrainFactory.GetGrain<IJobRegistryGrain>(0).Unregister(this.GetPrimaryKeyString());
        _ledger = null;
        DeactivateOnIdle();
    }

    private async Task CheckLeasesAsync(CancellationToken cancellationToken)
    {
        if (_ledger is null) return;
        if (DateTimeOffset.UtcNow - _lastClientCall > _ledger.Spec.EffectiveClientTimeout)
        {
            logger.LogWarning("Job {Job}: no client has collected rows for {Timeout}; the job is dropped.", _ledger.Spec.JobId,
                _ledger.Spec.EffectiveClientTimeout);
            await Close();
            return;
        }
        ClusterMembershipSnapshot snapshot = membership.CurrentSnapshot;
        int requeued = _ledger.ExpireLeases(holder => snapshot.GetSiloStatus(SiloAddress.FromParsableString(holder)) == SiloStatus.Dead);
        if (requeued > 0) logger.LogWarning("Job {Job}: {Count} lease(s) expired or lost with their silo; shards re-queued.", _ledger.Spec.JobId, requeued);
        if (!_ledger.Finished && DateTimeOffset.UtcNow - _lastRegistration > TimeSpan.FromSeconds(2)) await RegisterAsync();
    }

    private async Task RegisterAsync()
    {
        try
        {
            await GrainFactory.GetGrain<IJobRegistryGrain>(0).Register(this.GetPrimaryKeyString());
            _lastRegistration = DateTimeOffset.UtcNow;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The registry's silo may be dying: the next timer tick registers again.
            logger.LogWarning(e, "Job {Job}: registration failed; retrying.", this.GetPrimaryKeyString());
        }
    }
}
