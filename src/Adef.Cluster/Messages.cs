using Orleans;

namespace Adef.Cluster;

/// <summary>A shard handed to one worker until <see cref="Deadline"/>, unless renewed.</summary>
/// <param name="LeaseId">Unique across coordinator activations (a GUID), so a late report never matches a newer lease.</param>
/// <param name="Shard">The leased shard.</param>
/// <param name="Spec">The job, so the worker needs nothing else.</param>
/// <param name="WorkerId">The worker holding it.</param>
/// <param name="Holder">The holder's silo (its parsable address), or null; a silo declared dead loses its leases.</param>
/// <param name="Deadline">When the shard is re-queued without a renewal.</param>
[GenerateSerializer, Immutable]
[Alias("Adef.Cluster.Lease")]
public sealed record Lease(string LeaseId, Shard Shard, JobSpec Spec, string WorkerId, string? Holder, DateTimeOffset Deadline);

/// <summary>What the coordinator did with a shard's rows.</summary>
[GenerateSerializer]
[Alias("Adef.Cluster.CompleteStatus")]
public enum CompleteStatus
{
    /// <summary>The rows are buffered for the client; the shard is done.</summary>
    Accepted,

    /// <summary>The shard was already done: the rows are dropped and counted as attacked twice.</summary>
    Duplicate,

    /// <summary>The buffer is full: keep the rows, keep renewing the lease and try again later.</summary>
    BufferFull,

    /// <summary>The coordinator does not know the job (it was re-created and the client has not re-submitted yet): try again later.</summary>
    UnknownJob,
}

/// <summary>A shard the job gave up on after repeated failures.</summary>
/// <param name="Shard">The shard.</param>
/// <param name="Failures">How many times it failed.</param>
/// <param name="Reason">The last failure's reason.</param>
[GenerateSerializer, Immutable]
[Alias("Adef.Cluster.FailedShard")]
public sealed record FailedShard(Shard Shard, int Failures, string Reason);

/// <summary>The rows of one completed shard, numbered in the order the coordinator accepted them.</summary>
/// <param name="Sequence">The position in the coordinator's buffer (from 1, within one activation).</param>
/// <param name="ShardIndex">The shard the rows came from.</param>
/// <param name="Rows">The rows.</param>
[GenerateSerializer, Immutable]
[Alias("Adef.Cluster.ShardRows")]
public sealed record ShardRows(long Sequence, int ShardIndex, ResultRow[] Rows);

/// <summary>Uncollected rows and the job's state, as the client polls them.</summary>
/// <param name="Epoch">The coordinator activation's id; a new one means the previous activation and its state were lost.</param>
/// <param name="Known">Whether this activation has the job (false before a (re-)submission).</param>
/// <param name="Entries">Buffered shards after the sequence the client asked from.</param>
/// <param name="Failed">Every shard given up on.</param>
/// <param name="AttackedTwice">Images of shards completed again after being done, in this activation.</param>
[GenerateSerializer, Immutable]
[Alias("Adef.Cluster.RowBatch")]
public sealed record RowBatch(string Epoch, bool Known, ShardRows[] Entries, FailedShard[] Failed, long AttackedTwice);

/// <summary>A lease as the coordinator reports it (without the job).</summary>
/// <param name="LeaseId">The lease's id.</param>
/// <param name="ShardIndex">The leased shard.</param>
/// <param name="WorkerId">The worker holding it.</param>
/// <param name="Holder">The holder's silo, or null.</param>
[GenerateSerializer, Immutable]
[Alias("Adef.Cluster.LeaseInfo")]
public sealed record LeaseInfo(string LeaseId, int ShardIndex, string WorkerId, string? Holder);

/// <summary>The coordinator's counts.</summary>
/// <param name="Epoch">The activation's id.</param>
/// <param name="Shards">Shards submitted.</param>
/// <param name="Done">Shards completed.</param>
/// <param name="Queued">Shards waiting for a worker.</param>
/// <param name="Leases">Shards held by workers.</param>
/// <param name="Failed">Shards given up on.</param>
/// <param name="BufferedRows">Rows not yet acknowledged by the client.</param>
/// <param name="AttackedTwice">Images of shards completed again after being done.</param>
/// <param name="Requeued">Leases that expired or whose holder died.</param>
[GenerateSerializer, Immutable]
[Alias("Adef.Cluster.JobStatus")]
public sealed record JobStatus(string Epoch, int Shards, int Done, int Queued, LeaseInfo[] Leases, int Failed, int BufferedRows,
    long AttackedTwice, int Requeued);
