using Adef.MLNet.Attacks;

namespace Adef.GpuCheck;

/// <summary>How one attack's results on two devices compare, image by image (same images, same order).</summary>
internal sealed record DeviceAgreement(
    double SuccessRateA, double SuccessRateB, double MeanIterationsA, double MeanIterationsB, double MaxNormDifference, int SameOutcome, int Images)
{
    /// <summary>|success rate A − success rate B| in percentage points.</summary>
    public double SuccessPoints => Math.Abs(SuccessRateA - SuccessRateB) * 100;

    /// <summary>|mean iterations A − B| relative to A.</summary>
    public double IterationsRelative => MeanIterationsA == 0 ? Math.Abs(MeanIterationsB) : Math.Abs(MeanIterationsA - MeanIterationsB) / MeanIterationsA;

    /// <summary>The bar: success within 0.5 point, mean iterations within 5 %.</summary>
    public bool Agrees => SuccessPoints <= 0.5 && IterationsRelative <= 0.05;

    /// <summary>Compares results; <paramref name="norm"/> picks the per-image size compared (ADef: ‖τ‖_T; DeepFool: pixel ℓ2).</summary>
    /// <exception cref="ArgumentException">The result lists do not cover the same images.</exception>
    public static DeviceAgreement Compare<T>(IReadOnlyList<T> a, IReadOnlyList<T> b, Func<T, double> norm) where T : AttackResult
    {
        if (a.Count != b.Count || a.Count == 0)
            throw new ArgumentException($"Expected two equally long, non-empty result lists, got {a.Count} and {b.Count}.");
        double maxDifference = 0;
        int same = 0;
        for (int i = 0; i < a.Count; i++)
        {
            if (a[i].Index != b[i].Index) throw new ArgumentException($"Result {i} is image {a[i].Index} on one device and {b[i].Index} on the other.");
            if (a[i].Outcome == b[i].Outcome) same++;
            maxDifference = Math.Max(maxDifference, Math.Abs(norm(a[i]) - norm(b[i])));
        }
        return new DeviceAgreement(Rate(a), Rate(b), a.Average(r => r.Iterations), b.Average(r => r.Iterations), maxDifference, same, a.Count);
    }

    private static double Rate<T>(IReadOnlyList<T> results) where T : AttackResult =>
        results.Count(r => r.Outcome != AttackOutcome.AlreadyMisclassified) is var attacked and > 0
            ? (double)results.Count(r => r.Success) / attacked
            : double.NaN;
}
