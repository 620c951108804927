using System.Diagnostics;
using Adef.MLNet.Attacks;
using Spectre.Console;

namespace Adef.ConsoleProgress;

/// <summary>Runs an attack with a progress bar and measures its wall-clock throughput (the adef tool, the sample commands and gpu-check).</summary>
public static class AttackRunner
{
    public static (T[] Results, double Seconds) Run<T>(string title, int total,
        Func<IProgress<AttackProgress>, T[]> attack)
    {
        T[] results = Array.Empty<T>();
        double seconds = Stream(title, total, () => { }, progress => results = attack(progress));
        return (results, seconds);
    }

    /// <summary>Runs a streaming attack with a progress bar; <paramref name="sample"/> runs at every progress report. Returns the seconds.</summary>
    public static double Stream(string title, int total, Action sample, Action<IProgress<AttackProgress>> attack)
    {
        var stopwatch = new Stopwatch();
        AnsiConsole.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(),
                new ElapsedTimeColumn(), new RemainingTimeColumn())
            .Start(ctx =>
            {
                var task = ctx.AddTask(title, maxValue: total);
                var progress = new SynchronousProgress<AttackProgress>(p =>
                {
                    task.Value = p.Completed;
                    task.Description = $"{title}: {p.Fooled}/{p.Completed} fooled, {p.Active} active";
                    sample();
                });
                stopwatch.Start();
                try
                {
                    attack(progress);
                }
                finally
                {
                    stopwatch.Stop();
                }
                task.Value = total;
            });
        return stopwatch.Elapsed.TotalSeconds;
    }
}
