using Adef.MLNet.Attacks;

namespace Adef.MLNet.Evaluation;

/// <summary>
/// Aggregate numbers of an attack run, following the ADef paper's protocol: success rates count the
/// images the classifier labelled correctly (others are not attacked); iterations and norms are
/// averaged over successful attacks.
/// </summary>
public sealed record AttackSummary
{
    /// <summary>Images in the run.</summary>
    public required int Images { get; init; }

    /// <summary>Images attacked (not already misclassified).</summary>
    public required int Attacked { get; init; }

    /// <summary>Attacked images on which the attack succeeded.</summary>
    public required int Fooled { get; init; }

    /// <summary><see cref="Fooled"/> / <see cref="Attacked"/>.</summary>
    public double SuccessRate => Attacked == 0 ? double.NaN : (double)Fooled / Attacked;

    /// <summary>Mean iterations of successful attacks.</summary>
    public required double MeanIterations { get; init; }

    /// <summary>Mean iterations over all attacked images.</summary>
    public required double MeanIterationsAttacked { get; init; }

    /// <summary>Mean ‖τ‖_T of successful ADef deformations (pixels); NaN for additive attacks.</summary>
    public required double MeanTNorm { get; init; }

    /// <summary>Median ‖τ‖_T of successful ADef deformations (pixels); NaN for additive attacks.</summary>
    public required double MedianTNorm { get; init; }

    /// <summary>Mean pixel-space ℓ2 change of successful attacks.</summary>
    public required double MeanPixelL2 { get; init; }

    /// <summary>Mean pixel-space ℓ∞ change of successful attacks.</summary>
    public required double MeanPixelLInf { get; init; }

    /// <summary>Summarises any attack's results.</summary>
    public static AttackSummary From(IReadOnlyList<AttackResult> results)
    {
        ArgumentNullException.ThrowIfNull(results);
        return From(results.Select(r => new AttackSummaryEntry(
            r.Outcome != AttackOutcome.AlreadyMisclassified, r.Success, r.Iterations,
            r is AdefResult adef ? adef.TNorm : double.NaN, r.PixelL2, r.PixelLInf)).ToList());
    }

    /// <summary>Summarises per-image numbers, e.g. read back from a results file.</summary>
    public static AttackSummary From(IReadOnlyList<AttackSummaryEntry> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        var attacked = entries.Where(e => e.Attacked).ToList();
        var fooled = attacked.Where(e => e.Fooled).ToList();
        double[] tNorms = fooled.Where(e => !double.IsNaN(e.TNorm)).Select(e => e.TNorm).Order().ToArray();
        return new AttackSummary
        {
            Images = entries.Count,
            Attacked = attacked.Count,
            Fooled = fooled.Count,
            MeanIterations = MeanOrNaN(fooled.Select(e => (double)e.Iterations)),
            MeanIterationsAttacked = MeanOrNaN(attacked.Select(e => (double)e.Iterations)),
            MeanTNorm = MeanOrNaN(tNorms),
            MedianTNorm = tNorms.Length == 0 ? double.NaN
                : tNorms.Length % 2 == 1 ? tNorms[tNorms.Length / 2]
                : 0.5 * (tNorms[tNorms.Length / 2 - 1] + tNorms[tNorms.Length / 2]),
            MeanPixelL2 = MeanOrNaN(fooled.Select(e => e.PixelL2)),
            MeanPixelLInf = MeanOrNaN(fooled.Select(e => e.PixelLInf)),
        };
    }

    /// <summary>Fraction of attacked images fooled by an ADef field with ‖τ‖_T ≤ <paramref name="epsilon"/> pixels.</summary>
    public static double SuccessRateWithinTNorm(IReadOnlyList<AdefResult> results, double epsilon)
    {
        ArgumentNullException.ThrowIfNull(results);
        int attacked = results.Count(r => r.Outcome != AttackOutcome.AlreadyMisclassified);
        return attacked == 0 ? double.NaN : (double)results.Count(r => r.Success && r.TNorm <= epsilon) / attacked;
    }

    private static double MeanOrNaN(IEnumerable<double> values)
    {
        double sum = 0;
        int count = 0;
        foreach (double v in values) { sum += v; count++; }
        return count == 0 ? double.NaN : sum / count;
    }
}

/// <summary>The per-image numbers an <see cref="AttackSummary"/> is made of.</summary>
/// <param name="Attacked">False for images already misclassified (not attacked).</param>
/// <param name="Fooled">Whether the attack succeeded.</param>
/// <param name="Iterations">Iterations used.</param>
/// <param name="TNorm">‖τ‖_T in pixels for ADef; NaN for additive attacks.</param>
/// <param name="PixelL2">ℓ2 norm of the pixel change.</param>
/// <param name="PixelLInf">ℓ∞ norm of the pixel change.</param>
public readonly record struct AttackSummaryEntry(bool Attacked, bool Fooled, int Iterations, double TNorm, double PixelL2, double PixelLInf);
