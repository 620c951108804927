namespace Adef.MLNet.Evaluation;

/// <summary>The numbers of one attack in a robustness report: its <see cref="AttackSummary"/> and the distribution of its norm.</summary>
public sealed record AttackReportNumbers
{
    /// <summary>"ADef" or "DeepFool".</summary>
    public required string Attack { get; init; }

    /// <summary>The norm of <see cref="NormQuantiles"/>, <see cref="MeanNorm"/> and <see cref="SuccessCurve"/>: "‖τ‖_T" or "pixel ℓ2".</summary>
    public required string Norm { get; init; }

    /// <summary>Unit of the norm: "px" for ‖τ‖_T, "" for pixel ℓ2 (input units).</summary>
    public required string NormUnit { get; init; }

    /// <summary>The attack's summary: images, attacked, fooled, success rate, mean iterations and norms.</summary>
    public required AttackSummary Summary { get; init; }

    /// <summary>Mean of the norm over successful attacks.</summary>
    public required double MeanNorm { get; init; }

    /// <summary>Quantiles of the norm over successful attacks, at <see cref="RobustnessReport.QuantileLevels"/>.</summary>
    public required IReadOnlyList<NormQuantile> NormQuantiles { get; init; }

    /// <summary>The budget ε of <see cref="SuccessRateWithinEpsilon"/>, or null when none was set.</summary>
    public double? Epsilon { get; init; }

    /// <summary>Share of attacked images fooled with a norm ≤ <see cref="Epsilon"/>; null when no budget was set.</summary>
    public double? SuccessRateWithinEpsilon { get; init; }

    /// <summary>Share of attacked images fooled with a norm ≤ ε, for ε evenly spaced from 0 to the largest successful
    /// norm: non-decreasing, and its last rate is <see cref="AttackSummary.SuccessRate"/>.</summary>
    public required IReadOnlyList<BudgetPoint> SuccessCurve { get; init; }

    internal static AttackReportNumbers From(string attack, RobustnessReport report, double? epsilon, int curvePoints)
    {
        AttackSummary summary = report.Summary;
        return new AttackReportNumbers
        {
            Attack = attack,
            Norm = report.NormName,
            NormUnit = report.IsDeformation ? "px" : "",
            Summary = summary,
            MeanNorm = report.SuccessfulNorms.Count == 0 ? double.NaN : report.SuccessfulNorms.Average(),
            NormQuantiles = report.NormQuantiles.Select(q => new NormQuantile(q.Level, q.Norm)).ToArray(),
            Epsilon = epsilon,
            SuccessRateWithinEpsilon = epsilon is double e ? report.SuccessRateWithin(e) : null,
            SuccessCurve = report.SuccessCurve(curvePoints).Select(p => new BudgetPoint(p.Epsilon, p.Rate)).ToArray(),
        };
    }
}
