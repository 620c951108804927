namespace Adef.Cluster.Tests;

/// <summary>A clock the tests move by hand.</summary>
internal sealed class ManualTime : TimeProvider
{
    private DateTimeOffset _now = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public override DateTimeOffset GetUtcNow() => _now;

    public void Advance(TimeSpan by) => _now += by;
}

public class ShardPlanTests
{
    [Fact]
    public void BoundariesDependOnTheListAndTheShardSizeOnly()
    {
        IReadOnlyList<Shard> plan = ShardPlan.Cut("job", 1003, 100);
        Assert.Equal(11, plan.Count);
        Assert.Equal(Enumerable.Range(0, 1003), plan.SelectMany(s => Enumerable.Range(s.First, s.Count)));
        Assert.Equal(new Shard("job", 10, 1000, 3), plan[^1]);
        // The plan has no notion of workers: the same call gives the same shards, however many workers will pull them.
        Assert.Equal(plan, ShardPlan.Cut("job", 1003, 100));
    }

    [Fact]
    public void ResumeKeepsTheBoundariesAndDropsShardsAlreadyDone()
    {
        string[] names = Enumerable.Range(0, 10).Select(i => $"{i:D5}").ToArray();
        var done = new HashSet<string>(names.Take(5), StringComparer.Ordinal);
        IReadOnlyList<Shard> missing = ShardPlan.Missing("job", names, 3, done);
        // Shards [0,3) done; [3,6) partly done (attacked whole); [6,9) and [9,10) not done.
        Assert.Equal([1, 2, 3], missing.Select(s => s.Index));
        Assert.Equal(ShardPlan.Cut("job", 10, 3).Skip(1), missing);
    }

    [Fact]
    public void BadArgumentsAreRefused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => ShardPlan.Cut("job", 10, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => ShardPlan.Cut("job", -1, 10));
        Assert.ThrowsAny<ArgumentException>(() => ShardPlan.Cut(" ", 10, 10));
    }
}

public class JobLedgerTests
{
    internal static JobSpec Spec(int images = 10, int shardSize = 2, int buffer = 100, double leaseSeconds = 5) =>
        new("job", "model.onnx", "00", "images", null, images, shardSize, new AttackSpec(), TimeSpan.FromSeconds(leaseSeconds), buffer);

    internal static ResultRow[] Rows(Shard shard) =>
        [.. Enumerable.Range(shard.First, shard.Count).Select(i => new ResultRow($"{i:D5}", 1, 2, true, "Fooled", 1, 0.1, 0.2, 0.3, 0.4, 1, 2))];

    [Fact]
    public void ALeasePastItsDeadlineIsRequeuedAndALateCompletionCountsOnce()
    {
        var time = new ManualTime();
        var ledger = new JobLedger(Spec(), time);
        ledger.Add(ShardPlan.Cut("job", 10, 2));
        Lease first = ledger.TryLease("w1", "silo1")!;
        time.Advance(TimeSpan.FromSeconds(3));
        Assert.True(ledger.Renew(first.LeaseId)); // renewed: deadline now 5 s after this
        time.Advance(TimeSpan.FromSeconds(4));
        Assert.Equal(0, ledger.ExpireLeases());
        time.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(1, ledger.ExpireLeases());
        Assert.False(ledger.Renew(first.LeaseId));

        // The re-queued shard is the next one leased, under a new id.
        Lease second = ledger.TryLease("w2", "silo2")!;
        Assert.Equal(first.Shard, second.Shard);
        Assert.NotEqual(first.LeaseId, second.LeaseId);
        Assert.Equal(CompleteStatus.Accepted, ledger.Complete(second.LeaseId, second.Shard.Index, Rows(second.Shard)));
        // The slow first worker finishes too: dropped, counted as attacked twice.
        Assert.Equal(CompleteStatus.Duplicate, ledger.Complete(first.LeaseId, first.Shard.Index, Rows(first.Shard)));
        Assert.Equal(2, ledger.AttackedTwice);
        Assert.Single(ledger.Collect(0, 1000).Entries);
    }

    [Fact]
    public void ALeaseOfADeadSiloIsRequeued()
    {
        var ledger = new JobLedger(Spec(), new ManualTime());
        ledger.Add(ShardPlan.Cut("job", 10, 2));
        Lease onDead = ledger.TryLease("w1", "dead")!;
        ledger.TryLease("w2", "alive");
        Assert.Equal(1, ledger.ExpireLeases(holder => holder == "dead"));
        Assert.Equal(onDead.Shard, ledger.TryLease("w2", "alive")!.Shard);
    }

    [Fact]
    public void AShardFailingThreeTimesIsReportedWhileTheOthersComplete()
    {
        var ledger = new JobLedger(Spec(images: 6), new ManualTime());
        ledger.Add(ShardPlan.Cut("job", 6, 2));
        int failures = 0;
        while (ledger.TryLease("w", null) is { } lease)
        {
            if (lease.Shard.Index == 1)
            {
                failures++;
                ledger.Fail(lease.LeaseId, $"corrupt model, try {failures}");
            }
            else Assert.Equal(CompleteStatus.Accepted, ledger.Complete(lease.LeaseId, lease.Shard.Index, Rows(lease.Shard)));
        }
        Assert.Equal(JobLedger.MaxFailures, failures);
        Assert.True(ledger.Finished);
        FailedShard failed = Assert.Single(ledger.Failed);
        Assert.Equal(1, failed.Shard.Index);
        Assert.Equal("corrupt model, try 3", failed.Reason);
        Assert.Equal([0, 2], ledger.Collect(0, 1000).Entries.Select(e => e.ShardIndex));
    }

    [Fact]
    public void AFullBufferHoldsWorkBackUntilTheClientAcknowledges()
    {
        var ledger = new JobLedger(Spec(images: 10, shardSize: 2, buffer: 4), new ManualTime());
        ledger.Add(ShardPlan.Cut("job", 10, 2));
        Lease a = ledger.TryLease("w", null)!, b = ledger.TryLease("w", null)!, c = ledger.TryLease("w", null)!;
        Assert.Equal(CompleteStatus.Accepted, ledger.Complete(a.LeaseId, a.Shard.Index, Rows(a.Shard)));
        Assert.Equal(CompleteStatus.Accepted, ledger.Complete(b.LeaseId, b.Shard.Index, Rows(b.Shard)));
        Assert.Equal(CompleteStatus.BufferFull, ledger.Complete(c.LeaseId, c.Shard.Index, Rows(c.Shard)));
        Assert.Null(ledger.TryLease("w", null)); // no new work while the client is behind

        RowBatch batch = ledger.Collect(0, 1000);
        Assert.Equal(4, batch.Entries.Sum(e => e.Rows.Length));
        ledger.Acknowledge(batch.Entries[^1].Sequence);
        Assert.Equal(0, ledger.BufferedRows);
        Assert.Equal(CompleteStatus.Accepted, ledger.Complete(c.LeaseId, c.Shard.Index, Rows(c.Shard)));
        Assert.NotNull(ledger.TryLease("w", null));
        Assert.Empty(ledger.Collect(batch.Entries[^1].Sequence + 1, 1000).Entries);
    }

    [Fact]
    public void AResumedClientGetsTheShardsItLacksAgainButNotThoseStillBufferedOrRunning()
    {
        var ledger = new JobLedger(Spec(images: 8, shardSize: 2), new ManualTime());
        ledger.Add(ShardPlan.Cut("job", 8, 2));
        Lease acknowledged = ledger.TryLease("w", null)!, buffered = ledger.TryLease("w", null)!;
        ledger.TryLease("w", null); // still running when the client comes back
        Lease failing = ledger.TryLease("w", null)!;
        ledger.Complete(acknowledged.LeaseId, acknowledged.Shard.Index, Rows(acknowledged.Shard));
        ledger.Acknowledge(ledger.Collect(0, 1000).Entries[^1].Sequence);
        ledger.Complete(buffered.LeaseId, buffered.Shard.Index, Rows(buffered.Shard));
        for (int i = 0; i < JobLedger.MaxFailures; i++)
        {
            ledger.Fail(failing.LeaseId, "no such file");
            failing = ledger.TryLease("w", null) ?? failing;
        }
        Assert.Single(ledger.Failed);

        // The client was killed after acknowledging shard 0 without keeping its rows; it resumes asking for everything.
        Assert.Equal(2, ledger.Add(ShardPlan.Cut("job", 8, 2)));

        var queued = new List<int>();
        while (ledger.TryLease("w", null) is { } lease) queued.Add(lease.Shard.Index);
        Assert.Equal([acknowledged.Shard.Index, failing.Shard.Index], queued.Order());
        Assert.Empty(ledger.Failed);
        Assert.Equal(2, ledger.AttackedTwice); // shard 0 will be attacked again
    }

    [Fact]
    public void LeaseIdsDifferAcrossLedgers()
    {
        // A re-created coordinator starts a new ledger; its ids must never repeat the old one's.
        var one = new JobLedger(Spec(), new ManualTime());
        var two = new JobLedger(Spec(), new ManualTime());
        one.Add(ShardPlan.Cut("job", 10, 2));
        two.Add(ShardPlan.Cut("job", 10, 2));
        Assert.NotEqual(one.TryLease("w", null)!.LeaseId, two.TryLease("w", null)!.LeaseId);
        Assert.NotEqual(one.Epoch, two.Epoch);
    }

    [Fact]
    public void RowsKeepTheCliColumnsAndFormats()
    {
        var row = new ResultRow("a/b.png", 3, 5, true, "Fooled", 4, 0.125, null, 1.0 / 3, 2, 3, 5, 7);
        Assert.Equal(["a/b.png", "3", "5", "true", "Fooled", "4", "0.125", "", "0.333333333", "2", "3", "true", "5", "7"], row.CsvFields());
        Assert.Equal(13, ResultRow.CsvHeader.Count);
    }
}
