using Orleans;

namespace Adef.Cluster;

/// <summary>
/// A run of consecutive images of a job, the unit a worker leases: images [<see cref="First"/>, <see cref="First"/> +
/// <see cref="Count"/>) of the job's input list, in the order <see cref="Adef.MLNet.Data.ImageSource.Names"/> lists them.
/// </summary>
/// <param name="JobId">The job the shard belongs to.</param>
/// <param name="Index">The shard's position in the job's plan, from 0.</param>
/// <param name="First">The index of its first image in the input list.</param>
/// <param name="Count">How many images it holds (≥ 1).</param>
/// <param name="Targets">In a targeted job, the target label of each of its images, in order; otherwise null.</param>
[GenerateSerializer, Immutable]
[Alias("Adef.Cluster.Shard")]
public sealed record Shard(string JobId, int Index, int First, int Count, int[]? Targets = null)
{
    /// <summary>One past the index of the shard's last image.</summary>
    public int End => First + Count;
}

/// <summary>
/// Cuts a job's input list into shards of a fixed size. The boundaries depend only on the list and the shard size, never
/// on the number of workers, so a shard is the same images whoever attacks it, and a shard equal to a single-process
/// batch yields the same rows.
/// </summary>
public static class ShardPlan
{
    /// <summary>Cuts images [0, <paramref name="imageCount"/>) into shards of <paramref name="shardSize"/> images (the last may be shorter).</summary>
    /// <param name="jobId">The job the shards belong to.</param>
    /// <param name="imageCount">The number of images in the input list.</param>
    /// <param name="shardSize">The images per shard.</param>
    /// <exception cref="ArgumentException"><paramref name="jobId"/> is empty, <paramref name="imageCount"/> is negative or
    /// <paramref name="shardSize"/> is less than 1.</exception>
    public static IReadOnlyList<Shard> Cut(string jobId, int imageCount, int shardSize)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(jobId);
        ArgumentOutOfRangeException.ThrowIfNegative(imageCount);
        ArgumentOutOfRangeException.ThrowIfLessThan(shardSize, 1);
        var shards = new List<Shard>((imageCount + shardSize - 1) / shardSize);
        for (int first = 0, index = 0; first < imageCount; first += shardSize, index++)
            shards.Add(new Shard(jobId, index, first, Math.Min(shardSize, imageCount - first)));
        return shards;
    }

    /// <summary>
    /// The shards of <paramref name="names"/> that still hold an image not in <paramref name="done"/> (for <c>--resume</c>).
    /// The plan is cut from the whole list first, so a resumed job has the same boundaries as the first run; a shard that
    /// is partly done is attacked whole, and the client drops the rows of the images it already has.
    /// </summary>
    /// <param name="jobId">The job the shards belong to.</param>
    /// <param name="names">The input list, in the source's order.</param>
    /// <param name="shardSize">The images per shard.</param>
    /// <param name="done">The names already in results.csv.</param>
    /// <exception cref="ArgumentException">As <see cref="Cut"/>.</exception>
    public static IReadOnlyList<Shard> Missing(string jobId, IReadOnlyList<string> names, int shardSize, IReadOnlySet<string> done)
    {
        ArgumentNullException.ThrowIfNull(names);
        ArgumentNullException.ThrowIfNull(done);
        if (done.Count == 0) return Cut(jobId, names.Count, shardSize);
        return Cut(jobId, names.Count, shardSize)
            .Where(s => Enumerable.Range(s.First, s.Count).Any(i => !done.Contains(names[i])))
            .ToList();
    }
}
