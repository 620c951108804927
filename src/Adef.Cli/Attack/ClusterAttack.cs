using System.Security.Cryptography;
using System.Text;
using Adef.Cluster;
using Adef.ConsoleProgress;
using Adef.MLNet.Attacks;
using Adef.MLNet.Data;
using Spectre.Console;

namespace Adef.Cli;

/// <summary>
/// <c>adef attack --cluster</c>: the same job as a run in this process, attacked by the cluster's <c>adef worker</c>s. This
/// process plans the shards, submits them, and stays the only writer of results.csv and the PNGs (rows arrive once each).
/// The model and the images must be at the same paths on every worker (a shared file system); each worker checks the
/// model's SHA-256.
/// </summary>
internal static class ClusterAttack
{
    /// <summary>Runs the images not yet in results.csv on the cluster, handing their rows to <paramref name="write"/>.</summary>
    /// <param name="s">The command's options (<see cref="AttackSettings.Cluster"/> set).</param>
    /// <param name="spec">The attack, as the workers build it.</param>
    /// <param name="source">The images.</param>
    /// <param name="todo">The source indices not yet in results.csv.</param>
    /// <param name="targets">The target of each image of <paramref name="todo"/>, or null.</param>
    /// <param name="previous">The rows already in results.csv (<c>--resume</c>).</param>
    /// <param name="write">Writes rows to results.csv and the PNGs.</param>
    /// <param name="cancel">Ctrl+C: stops collecting and ends the job on the cluster.</param>
    public static AttackRun.Streamed Run(AttackSettings s, AttackSpec spec, ImageSource source, int[] todo, int[]? targets,
        IReadOnlyList<ResultsCsv.Row> previous, Action<IReadOnlyList<ResultRow>> write, CancellationToken cancel)
    {
        ClusterSettings c = s.Cluster!;
        ClusterConnection connection = ClusterOptions.Connection(c.Url, c.ClusterId, c.Certificate, c.CertificatePasswordEnv);
        string sha = ModelCache.Sha256Of(s.Model!);
        var done = previous.Select(r => r.File).ToHashSet(StringComparer.Ordinal);
        var job = new JobSpec(JobId(s, sha, spec), Path.GetFullPath(s.Model!), sha, Path.GetFullPath(s.Images!),
            source.LabelsPath is null ? null : Path.GetFullPath(source.LabelsPath), source.Count, c.ShardSize, spec,
            TimeSpan.FromSeconds(c.LeaseSeconds), BufferCapacity: Math.Max(4 * c.ShardSize, 256));
        Dictionary<int, int>? targetOf = Targets(source, todo, targets, previous);
        var request = new JobRequest(job, source.Names, done) { ShardTargets = targetOf is null ? null : i => targetOf[i] };

        long peak = Environment.WorkingSet;
        JobReport? report = null;
        bool interrupted = false;
        double seconds = double.NaN;
        AnsiConsole.MarkupLine($"Attacking on the {Markup.Escape(connection.ToString())}: job {job.JobId}, {todo.Length} image(s) in shards of {c.ShardSize}.");
        try
        {
            seconds = AttackRunner.Stream($"{(spec.Attack == "adef" ? "ADef" : "DeepFool")} on the cluster", todo.Length,
                () => peak = Math.Max(peak, Environment.WorkingSet), progress =>
                {
                    int completed = 0, fooled = 0;
                    report = RunAsync(connection, request, rows =>
                    {
                        write(rows);
                        completed += rows.Count;
                        fooled += rows.Count(r => r.Success);
                        progress.Report(new AttackProgress(completed, todo.Length, 0, fooled));
                    }, cancel).GetAwaiter().GetResult();
                });
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            interrupted = true;
        }
        if (report is { } r)
        {
            AnsiConsole.MarkupLine($"Cluster: {r.Rows} row(s) in {r.Elapsed.TotalSeconds:0.0} s, {r.AttackedTwice} image(s) attacked twice, " +
                                   $"{r.Resubmissions} re-submission(s) after a coordinator was lost, {r.Failed.Count} shard(s) given up.");
            foreach (FailedShard f in r.Failed)
                AnsiConsole.MarkupLine($"[red]Shard {f.Shard.Index} (images {f.Shard.First}–{f.Shard.End - 1}) failed {f.Failures} times: {Markup.Escape(f.Reason)}[/]");
        }
        int failedImages = report?.Failed.Sum(f => Enumerable.Range(f.Shard.First, f.Shard.Count).Count(i => !done.Contains(source.Names[i]))) ?? 0;
        object summary = new
        {
            clusterId = c.ClusterId,
            jobId = job.JobId,
            shardSize = c.ShardSize,
            rows = report?.Rows,
            attackedTwice = report?.AttackedTwice,
            resubmissions = report?.Resubmissions,
            failedShards = report?.Failed.Select(f => new { index = f.Shard.Index, first = f.Shard.First, count = f.Shard.Count, failures = f.Failures, reason = f.Reason }),
        };
        return new AttackRun.Streamed(seconds, interrupted, [], peak, failedImages, summary);
    }

    /// <summary>Connects a client to the cluster, runs the job and disconnects.</summary>
    private static async Task<JobReport> RunAsync(ClusterConnection connection, JobRequest request, Action<IReadOnlyList<ResultRow>> onRows,
        CancellationToken cancel)
    {
        await using ClusterClientHost client = await ClusterClientHost.StartAsync(connection, cancellationToken: cancel);
        // One shard of rows per call: rows carry their PNGs, and a message must stay well below Orleans' size limit.
        return await new ClusterJobClient(client.Grains) { MaxRowsPerCollect = request.Spec.ShardSize }.RunAsync(request, rows =>
        {
            onRows(rows);
            return ValueTask.CompletedTask;
        }, cancel);
    }

    /// <summary>
    /// The job's id: the same for the same output folder, model, input, attack, shards and targets, so that a client killed
    /// and started again with <c>--resume</c> takes over the job its coordinator still holds.
    /// </summary>
    private static string JobId(AttackSettings s, string modelSha, AttackSpec spec)
    {
        string targets = s.Targets is null ? "" : ModelCache.Sha256Of(s.Targets);
        string key = string.Join('\n', Path.GetFullPath(s.Out!), modelSha, Path.GetFullPath(s.Images!), s.Labels, s.Limit,
            spec.Describe(), s.Cluster!.ShardSize, targets);
        return "adef-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)))[..20];
    }

    /// <summary>
    /// In a targeted run, the target of every image a shard may hold: those to attack from the targets file, those already
    /// done from results.csv (a partly done shard is attacked whole).
    /// </summary>
    private static Dictionary<int, int>? Targets(ImageSource source, int[] todo, int[]? targets, IReadOnlyList<ResultsCsv.Row> previous)
    {
        if (targets is null) return null;
        var byName = previous.Where(r => r.Target is not null).ToDictionary(r => r.File, r => r.Target!.Value, StringComparer.Ordinal);
        var result = new Dictionary<int, int>();
        for (int i = 0; i < source.Count; i++)
            if (byName.TryGetValue(source.Names[i], out int target)) result[i] = target;
        for (int j = 0; j < todo.Length; j++) result[todo[j]] = targets[j];
        return result;
    }
}
