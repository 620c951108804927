using Xunit.Abstractions;

namespace Adef.MLNet.Tests.Fuzz;

/// <summary>
/// Runs fuzz cases: each must end in success or a documented exception within a time bound. The case count
/// comes from ADEF_FUZZ_CASES (scaled from the CI default) so that a long run needs no code change.
/// </summary>
internal static class FuzzHarness
{
    /// <summary>Total cases across all fuzz tests in CI.</summary>
    public const int DefaultTotalCases = 2000;

    /// <summary>
    /// A hang detector, not a speed bound: cases take milliseconds, but a loaded 2-core CI machine once pushed 3 of
    /// 1240 ONNX cases past an earlier 5 s bound, so the bound leaves a wide margin.
    /// </summary>
    public static readonly TimeSpan CaseTimeout = TimeSpan.FromSeconds(30);

    /// <summary>This test's share of the run: <paramref name="ciCases"/> by default, scaled when ADEF_FUZZ_CASES is set.</summary>
    public static int Cases(int ciCases) =>
        int.TryParse(Environment.GetEnvironmentVariable("ADEF_FUZZ_CASES"), out int total) && total > 0
            ? Math.Max(1, (int)((long)ciCases * total / DefaultTotalCases))
            : ciCases;

    /// <summary>The seed: ADEF_FUZZ_SEED when set, else the fixed <paramref name="defaultSeed"/>.</summary>
    public static int Seed(int defaultSeed) =>
        int.TryParse(Environment.GetEnvironmentVariable("ADEF_FUZZ_SEED"), out int seed) ? seed : defaultSeed;

    /// <summary>
    /// Whether <paramref name="e"/> is one of the library's documented outcomes for hostile input. The fuzz cases pass valid
    /// arguments (a byte array, an existing path), so an <see cref="ArgumentException"/> would be a leak from inside too.
    /// </summary>
    public static bool IsDocumented(Exception e) => e is InvalidInputException;

    /// <summary>
    /// Runs <paramref name="body"/> on its own task; records a failure (with the case number, the mutation and the
    /// input's bytes length) when it times out or throws anything undocumented. Returns the outcome's name.
    /// </summary>
    public static string Run(int caseNumber, string mutation, Action body, List<string> failures, Func<Exception, bool>? alsoDocumented = null)
    {
        var task = Task.Factory.StartNew(body, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        try
        {
            if (!task.Wait(CaseTimeout))
            {
                failures.Add($"case {caseNumber} ({mutation}): no result within {CaseTimeout.TotalSeconds} s");
                return "timeout";
            }
            return "ok";
        }
        catch (AggregateException aggregate) when (aggregate.InnerException is { } e)
        {
            if (IsDocumented(e) || alsoDocumented?.Invoke(e) == true) return e.GetType().Name;
            failures.Add($"case {caseNumber} ({mutation}): {e.GetType().FullName}: {e.Message}\n{e.StackTrace}");
            return "LEAK " + e.GetType().Name;
        }
    }

    public static void AssertNoFailures(List<string> failures, int cases, Dictionary<string, int> outcomes, ITestOutputHelper? output = null)
    {
        string summary = $"{cases} cases: " + string.Join(", ", outcomes.OrderByDescending(o => o.Value).Select(o => $"{o.Key} {o.Value}"));
        output?.WriteLine(summary);
        Assert.True(failures.Count == 0, $"{failures.Count} failing case(s) of {summary}:\n" + string.Join("\n\n", failures.Take(10)));
    }

    public static void Count(Dictionary<string, int> outcomes, string outcome) =>
        outcomes[outcome] = outcomes.GetValueOrDefault(outcome) + 1;
}
