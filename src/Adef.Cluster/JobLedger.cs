namespace Adef.Cluster;

/// <summary>
/// The coordinator's bookkeeping for one job, without Orleans: the queue of shards not done, the leases, the failure
/// counts and the bounded buffer of rows the client has not acknowledged. Not thread-safe: the grain calls it one
/// message at a time, and the unit tests call it directly with a controlled clock.
/// </summary>
public sealed class JobLedger
{
    /// <summary>How many failures give a shard up.</summary>
    public const int MaxFailures = 3;

    private readonly TimeProvider _time;
    private readonly Dictionary<int, Shard> _shards = [];
    private readonly LinkedList<int> _queue = new();
    private readonly Dictionary<string, Lease> _leases = new(StringComparer.Ordinal);
    private readonly HashSet<int> _done = [];
    private readonly Dictionary<int, int> _failures = [];
    private readonly Dictionary<int, FailedShard> _failed = [];
    private readonly List<ShardRows> _buffer = [];
    private long _sequence;
    private int _bufferedRows;

    /// <summary>Starts the ledger of <paramref name="spec"/>, with no shards.</summary>
    /// <param name="spec">The job.</param>
    /// <param name="time">The clock of lease deadlines.</param>
    /// <exception cref="ArgumentException">The job is invalid (<see cref="JobSpec.Validate"/>).</exception>
    public JobLedger(JobSpec spec, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(spec);
        spec.Validate();
        Spec = spec;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>The job.</summary>
    public JobSpec Spec { get; }

    /// <summary>An id of this ledger, new for every coordinator activation.</summary>
    public string Epoch { get; } = Guid.NewGuid().ToString("N");

    /// <summary>Images of shards completed again after they were done.</summary>
    public long AttackedTwice { get; private set; }

    /// <summary>Leases re-queued because they expired or their holder died.</summary>
    public int Requeued { get; private set; }

    /// <summary>Rows accepted and not yet acknowledged.</summary>
    public int BufferedRows => _bufferedRows;

    /// <summary>Whether every shard submitted is done or failed.</summary>
    public bool Finished => _done.Count + _failed.Count == _shards.Count;

    /// <summary>
    /// Adds shards to the queue. A shard already queued, leased or with rows in the buffer is left as it is; a shard done
    /// whose rows have left the buffer, or given up, is queued again: a client submits only shards it lacks rows of (a
    /// client that was killed and resumed may have lost rows it had acknowledged, and <c>--resume</c> retries failed shards).
    /// </summary>
    /// <returns>How many were added or queued again.</returns>
    public int Add(IEnumerable<Shard> shards)
    {
        ArgumentNullException.ThrowIfNull(shards);
        int added = 0;
        foreach (Shard shard in shards)
        {
            if (shard.JobId != Spec.JobId)
                throw new ArgumentException($"Shard {shard.Index} belongs to job '{shard.JobId}', not '{Spec.JobId}'.", nameof(shards));
            if (shard.First < 0 || shard.Count < 1 || shard.End > Spec.ImageCount)
                throw new ArgumentException($"Shard {shard.Index} [{shard.First}, {shard.End}) lies outside the {Spec.ImageCount} image(s).", nameof(shards));
            if (!_shards.TryAdd(shard.Index, shard))
            {
                bool buffered = _buffer.Any(e => e.ShardIndex == shard.Index);
                if (!(_done.Contains(shard.Index) && !buffered) && !_failed.ContainsKey(shard.Index)) continue;
                if (_done.Remove(shard.Index)) AttackedTwice += shard.Count;
                _failed.Remove(shard.Index);
                _failures.Remove(shard.Index);
                _shards[shard.Index] = shard;
            }
            _queue.AddLast(shard.Index);
            added++;
        }
        return added;
    }

    /// <summary>
    /// Leases the next queued shard to <paramref name="workerId"/>; null when none is queued, or when the buffer is full
    /// (back-pressure: a worker gets no new work while the client is behind).
    /// </summary>
    /// <param name="workerId">The worker asking.</param>
    /// <param name="holder">The worker's silo, or null.</param>
    public Lease? TryLease(string workerId, string? holder)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(workerId);
        if (_queue.First is null || _bufferedRows >= Spec.BufferCapacity) return null;
        int index = _queue.First.Value;
        _queue.RemoveFirst();
        var lease = new Lease(Guid.NewGuid().ToString("N"), _shards[index], Spec, workerId, holder,
            _time.GetUtcNow() + Spec.LeaseDuration);
        _leases.Add(lease.LeaseId, lease);
        return lease;
    }

    /// <summary>Extends a lease by the job's lease duration.</summary>
    /// <returns>False when the lease is no longer held (it expired and its shard was re-queued, or the shard is done).</returns>
    public bool Renew(string leaseId)
    {
        if (!_leases.TryGetValue(leaseId, out Lease? lease)) return false;
        _leases[leaseId] = lease with { Deadline = _time.GetUtcNow() + Spec.LeaseDuration };
        return true;
    }

    /// <summary>
    /// Takes a shard's rows. Completion is idempotent per shard: the first is buffered, later ones are dropped and counted
    /// in <see cref="AttackedTwice"/>. Rows are accepted from a lease that already expired too (the work is done; the
    /// shard's newer lease then becomes moot). When the buffer cannot take them, nothing changes and the worker retries.
    /// </summary>
    /// <param name="leaseId">The lease the work was done under.</param>
    /// <param name="shardIndex">The shard.</param>
    /// <param name="rows">Its rows.</param>
    public CompleteStatus Complete(string leaseId, int shardIndex, ResultRow[] rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        // A shard this ledger does not know was leased by an earlier activation and, not being re-submitted, already
        // reached the client: its rows are a duplicate too.
        if (!_shards.TryGetValue(shardIndex, out Shard? shard) || _done.Contains(shardIndex))
        {
            _leases.Remove(leaseId);
            AttackedTwice += shard?.Count ?? rows.Length;
            return CompleteStatus.Duplicate;
        }
        // A shard's rows go in whole; an empty buffer takes them even when they exceed the capacity, so no shard waits forever.
        if (_bufferedRows > 0 && _bufferedRows + rows.Length > Spec.BufferCapacity) return CompleteStatus.BufferFull;
        _done.Add(shardIndex);
        _failed.Remove(shardIndex); // a late success of a shard given up on still counts
        _queue.Remove(shardIndex);
        foreach (string id in _leases.Where(l => l.Value.Shard.Index == shardIndex).Select(l => l.Key).ToList())
            _leases.Remove(id);
        _buffer.Add(new ShardRows(++_sequence, shardIndex, rows));
        _bufferedRows += rows.Length;
        return CompleteStatus.Accepted;
    }

    /// <summary>
    /// Records that a worker could not do a shard: the shard is re-queued, or given up on (<see cref="Failed"/>) at the
    /// <see cref="MaxFailures"/>th failure while the rest of the job goes on. A report under a lease no longer held is ignored.
    /// </summary>
    /// <returns>Whether the shard is now given up on.</returns>
    public bool Fail(string leaseId, string reason)
    {
        if (!_leases.Remove(leaseId, out Lease? lease) || _done.Contains(lease.Shard.Index)) return false;
        return CountFailure(lease.Shard.Index, reason);
    }

    /// <summary>Re-queues the shards of expired leases and of leases whose holder <paramref name="isDead"/> says died.</summary>
    /// <param name="isDead">Whether a holder silo is declared dead; null to check deadlines only.</param>
    /// <returns>How many leases were re-queued.</returns>
    public int ExpireLeases(Func<string, bool>? isDead = null)
    {
        DateTimeOffset now = _time.GetUtcNow();
        var lost = _leases.Values.Where(l => l.Deadline <= now || (l.Holder is { } h && isDead?.Invoke(h) == true)).ToList();
        foreach (Lease lease in lost)
        {
            _leases.Remove(lease.LeaseId);
            // Requeued at the front: the shard has waited longest, and the client's job cannot finish without it.
            if (!_done.Contains(lease.Shard.Index) && !_failed.ContainsKey(lease.Shard.Index) && !_queue.Contains(lease.Shard.Index))
                _queue.AddFirst(lease.Shard.Index);
        }
        Requeued += lost.Count;
        return lost.Count;
    }

    /// <summary>The buffered shards after <paramref name="afterSequence"/>, up to about <paramref name="maxRows"/> rows (at least one shard).</summary>
    public RowBatch Collect(long afterSequence, int maxRows)
    {
        var entries = new List<ShardRows>();
        int rows = 0;
        foreach (ShardRows entry in _buffer)
        {
            if (entry.Sequence <= afterSequence) continue;
            if (entries.Count > 0 && rows + entry.Rows.Length > maxRows) break;
            entries.Add(entry);
            rows += entry.Rows.Length;
        }
        return new RowBatch(Epoch, true, [.. entries], [.. Failed], AttackedTwice);
    }

    /// <summary>Drops the buffered shards up to <paramref name="upToSequence"/>: the client has written them.</summary>
    public void Acknowledge(long upToSequence)
    {
        foreach (ShardRows entry in _buffer.Where(e => e.Sequence <= upToSequence)) _bufferedRows -= entry.Rows.Length;
        _buffer.RemoveAll(e => e.Sequence <= upToSequence);
    }

    /// <summary>The shards given up on.</summary>
    public IReadOnlyCollection<FailedShard> Failed => _failed.Values;

    /// <summary>The counts, for the client and the tests.</summary>
    public JobStatus Status() => new(Epoch, _shards.Count, _done.Count, _queue.Count,
        [.. _leases.Values.Select(l => new LeaseInfo(l.LeaseId, l.Shard.Index, l.WorkerId, l.Holder))],
        _failed.Count, _bufferedRows, AttackedTwice, Requeued);

    private bool CountFailure(int shardIndex, string reason)
    {
        int failures = _failures[shardIndex] = _failures.GetValueOrDefault(shardIndex) + 1;
        if (failures >= MaxFailures)
        {
            _failed[shardIndex] = new FailedShard(_shards[shardIndex], failures, reason);
            return true;
        }
        _queue.AddLast(shardIndex);
        return false;
    }
}
