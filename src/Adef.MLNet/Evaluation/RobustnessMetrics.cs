using Adef.MLNet.Attacks;

namespace Adef.MLNet.Evaluation;

/// <summary>
/// The robustness metrics of an attacked data set, as <see cref="RobustnessCatalog.Evaluate"/> returns them (the counterpart
/// of ML.NET's <c>MulticlassClassificationMetrics</c>): accuracy, the attack's success rate overall and within each budget,
/// quantiles of the norm of successful attacks, mean iterations and how many images ended with each outcome.
/// </summary>
/// <remarks>
/// The protocol is <see cref="RobustnessReport"/>'s: rates count the attacked images (those the classifier labelled
/// correctly); norms and iterations are taken over successful attacks. The norm is ‖τ‖_T in pixels for ADef and the pixel
/// ℓ2 of the change to the input (in its units) for DeepFool (<see cref="NormName"/>).
/// </remarks>
public sealed record RobustnessMetrics
{
    /// <summary>Images (rows) evaluated.</summary>
    public required int Images { get; init; }

    /// <summary>Images attacked: those not already misclassified.</summary>
    public required int Attacked { get; init; }

    /// <summary>Attacked images the attack fooled.</summary>
    public required int Fooled { get; init; }

    /// <summary>Fraction of the labelled images the classifier labelled correctly; NaN when no true labels were given.</summary>
    public required double Accuracy { get; init; }

    /// <summary>Images whose true label was known (0 when none were given).</summary>
    public required int LabelledImages { get; init; }

    /// <summary><see cref="Fooled"/> / <see cref="Attacked"/>; NaN when no image was attacked.</summary>
    public required double SuccessRate { get; init; }

    /// <summary>For each budget asked for, in that order, the fraction of attacked images fooled with a norm ≤ the budget.</summary>
    public required IReadOnlyList<BudgetPoint> SuccessRateWithinBudgets { get; init; }

    /// <summary>True for ADef (norms are ‖τ‖_T in pixels), false for an additive attack (pixel ℓ2).</summary>
    public required bool IsDeformation { get; init; }

    /// <summary>The norm of the budgets and quantiles: "‖τ‖_T" or "pixel ℓ2".</summary>
    public string NormName => IsDeformation ? "‖τ‖_T" : "pixel ℓ2";

    /// <summary>The norm at <see cref="RobustnessReport.QuantileLevels"/> (10, 25, 50, 75, 90 %) over the successful
    /// attacks, interpolated linearly; NaN values when none succeeded.</summary>
    public required IReadOnlyList<NormQuantile> NormQuantiles { get; init; }

    /// <summary>Mean iterations of the successful attacks; NaN when none succeeded.</summary>
    public required double MeanIterations { get; init; }

    /// <summary>Images per <see cref="AttackOutcome"/>; every outcome is a key. See <see cref="OutcomesRecorded"/>.</summary>
    public required IReadOnlyDictionary<AttackOutcome, int> OutcomeCounts { get; init; }

    /// <summary>True when the outcomes were read as recorded; false when the data had no <c>Outcome</c> column and every
    /// failed attack was counted as <see cref="AttackOutcome.MaxIterationsReached"/>.</summary>
    public required bool OutcomesRecorded { get; init; }

    /// <summary>The metrics of <paramref name="report"/>, with the success rate within each of <paramref name="budgets"/>.</summary>
    /// <param name="report">The report to take the numbers from.</param>
    /// <param name="budgets">Norm budgets (finite, ≥ 0) in the report's norm; may be empty.</param>
    /// <exception cref="ArgumentException">A budget is negative or not finite.</exception>
    public static RobustnessMetrics From(RobustnessReport report, IEnumerable<double> budgets)
    {
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(budgets);
        double[] checkedBudgets = CheckBudgets(budgets);
        return new RobustnessMetrics
        {
            Images = report.Summary.Images,
            Attacked = report.Summary.Attacked,
            Fooled = report.Summary.Fooled,
            Accuracy = report.Accuracy,
            LabelledImages = report.LabelledImages,
            SuccessRate = report.SuccessRate,
            SuccessRateWithinBudgets = report.SuccessCurve(checkedBudgets).Select(p => new BudgetPoint(p.Epsilon, p.Rate)).ToArray(),
            IsDeformation = report.IsDeformation,
            NormQuantiles = report.NormQuantiles.Select(q => new NormQuantile(q.Level, q.Norm)).ToArray(),
            MeanIterations = report.MeanIterations,
            OutcomeCounts = report.OutcomeCounts,
            OutcomesRecorded = report.OutcomesRecorded,
        };
    }

    /// <summary>The budgets as an array, each checked to be finite and non-negative.</summary>
    /// <exception cref="ArgumentException">A budget is negative or not finite (the parameter is named "budgets").</exception>
    internal static double[] CheckBudgets(IEnumerable<double> budgets)
    {
        double[] values = budgets.ToArray();
        foreach (double budget in values)
            if (!double.IsFinite(budget) || budget < 0)
                throw new ArgumentException(
                    string.Create(System.Globalization.CultureInfo.InvariantCulture, $"Budgets must be finite and non-negative, got {budget}."), nameof(budgets));
        return values;
    }
}
