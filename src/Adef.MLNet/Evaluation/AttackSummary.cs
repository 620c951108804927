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
        var attacked = results.Where(r => r.Outcome != AttackOutcome.AlreadyMisclassified).ToList();
        var fooled = attacked.Where(r => r.Success).ToList();
        double[] tNorms = fooled.OfType<AdefResult>().Select(r => r.TNorm).Order().ToArray();
        return new AttackSummary
        {
            Images = results.Count,
            Attacked = attacked.Count,
            Fooled = fooled.Count,
            MeanIterations = MeanOrNaN(fooled.Select(r => (double)r.Iterations)),
            MeanIterationsAttacked = MeanOrNaN(attacked.Select(r => (double)r.Iterations)),
            MeanTNorm = MeanOrNaN(tNorms),
            MedianTNorm = tNorms.Length == 0 ? double.NaN
                : tNorms.Length % 2 == 1 ? tNorms[tNorms.Length / 2]
                : 0.5 * (tNorms[tNorms.Length / 2 - 1] + tNorms[tNorms.Length / 2]),
            MeanPixelL2 = MeanOrNaN(fooled.Select(r => r.PixelL2)),
            MeanPixelLInf = MeanOrNaN(fooled.Select(r => r.PixelLInf)),
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
