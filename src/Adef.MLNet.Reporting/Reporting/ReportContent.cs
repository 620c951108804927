using static Adef.MLNet.Evaluation.Reporting.ReportFormat;

namespace Adef.MLNet.Evaluation.Reporting;

/// <summary>The report's text, tables and figure references, built from <see cref="RobustnessReportNumbers"/> alone.</summary>
internal static class ReportContent
{
    /// <summary>Row labels of the attack table, also read back by tests.</summary>
    public const string ImagesRow = "images";
    public const string AttackedRow = "attacked (classified correctly)";
    public const string FooledRow = "fooled";
    public const string SuccessRateRow = "success rate";
    public const string BudgetRow = "budget ε";
    public const string WithinBudgetRow = "success rate with norm ≤ ε";
    public const string MeanIterationsRow = "mean iterations (successful)";
    public const string NormRow = "norm";
    public const string MeanNormRow = "mean norm (successful)";

    /// <summary>Label of the quantile row at <paramref name="level"/>, e.g. "norm, 10 % quantile".</summary>
    public static string QuantileRow(double level) => $"norm, {Level(level)} quantile";

    public static string Title(RobustnessReportNumbers numbers) => $"Robustness of {numbers.Model}";

    /// <summary>The report's blocks. <paramref name="figures"/> maps figure roles to written figures; a missing role's
    /// figure is replaced by a sentence saying why.</summary>
    public static IReadOnlyList<ReportBlock> Build(RobustnessReportNumbers numbers, ReportFigures figures, int curveTableRows)
    {
        var blocks = new List<ReportBlock> { new Heading(1, Title(numbers)) };
        if (numbers.Dataset is not null)
        {
            blocks.Add(new Paragraph(numbers.Dataset));
        }

        blocks.Add(new Paragraph(numbers.LabelledImages > 0
            ? $"Accuracy: {Percent(numbers.Accuracy)} of {Count(numbers.LabelledImages)} labelled images."
            : $"Accuracy: {Missing} (no true labels given for the {Count(numbers.Images)} images)."));

        blocks.Add(new Heading(2, "Attacks"));
        blocks.Add(AttackTable(numbers));
        string norms = numbers.Adef is null
            ? "Pixel ℓ2 is the ℓ2 norm of DeepFool's change to the input."
            : "‖τ‖_T is the largest displacement of the ADef vector field in pixels; pixel ℓ2 is the ℓ2 norm of DeepFool's change to the input.";
        blocks.Add(new Paragraph(
            "Success rates count the attacked images (those the model classified correctly); iterations and norms are over " +
            $"successful attacks. {norms} Quantiles interpolate linearly between the sorted norms."));

        blocks.Add(new Heading(2, "Success against the budget"));
        if (numbers.Adef is not null)
        {
            AddCurve(blocks, numbers.Adef, figures.AdefCurve, curveTableRows);
        }

        if (numbers.DeepFool is not null)
        {
            AddCurve(blocks, numbers.DeepFool, figures.DeepFoolCurve, curveTableRows);
        }

        // The histogram and the examples show deformations: a DeepFool-only report has neither section.
        if (numbers.Adef is null)
        {
            return blocks;
        }

        blocks.Add(new Heading(2, "‖τ‖_T of successful deformations"));
        blocks.Add(figures.Histogram is { } histogram ? histogram : new Paragraph("No deformation succeeded: there is no histogram."));

        blocks.Add(new Heading(2, "Examples"));
        blocks.Add(figures.Examples is { } examples ? examples : new Paragraph("No example was given."));
        return blocks;
    }

    private static Table AttackTable(RobustnessReportNumbers numbers)
    {
        AttackReportNumbers[] attacks = new[] { numbers.Adef, numbers.DeepFool }.OfType<AttackReportNumbers>().ToArray();
        List<string> Row(string label, Func<AttackReportNumbers, string> cell) => [label, .. attacks.Select(cell)];
        var rows = new List<IReadOnlyList<string>>
        {
            Row(ImagesRow, a => Count(a.Summary.Images)),
            Row(AttackedRow, a => Count(a.Summary.Attacked)),
            Row(FooledRow, a => Count(a.Summary.Fooled)),
            Row(SuccessRateRow, a => Percent(a.Summary.SuccessRate)),
            Row(BudgetRow, a => a.Epsilon is double e ? Budget(e, a.NormUnit) : Missing),
            Row(WithinBudgetRow, a => a.SuccessRateWithinEpsilon is double r ? Percent(r) : Missing),
            Row(MeanIterationsRow, a => Decimal(a.Summary.MeanIterations)),
            Row(NormRow, a => a.NormUnit.Length == 0 ? a.Norm : $"{a.Norm} ({a.NormUnit})"),
            Row(MeanNormRow, a => Decimal(a.MeanNorm)),
        };
        for (int q = 0; q < attacks[0].NormQuantiles.Count; q++)
        {
            int index = q;
            rows.Add(Row(QuantileRow(attacks[0].NormQuantiles[q].Level), a => Decimal(a.NormQuantiles[index].Value)));
        }

        return new Table(["", .. attacks.Select(a => a.Attack)], rows);
    }

    private static void AddCurve(List<ReportBlock> blocks, AttackReportNumbers attack, Figure? figure, int tableRows)
    {
        blocks.Add(new Heading(3, $"{attack.Attack}: {attack.Norm}"));
        if (figure is not null)
        {
            blocks.Add(figure);
        }

        string unit = attack.NormUnit.Length == 0 ? "" : $" ({attack.NormUnit})";
        var rows = Thin(attack.SuccessCurve, tableRows)
            .Select(p => (IReadOnlyList<string>)[Decimal(p.Epsilon), Percent(p.SuccessRate)]).ToList();
        blocks.Add(new Table([$"ε: {attack.Norm}{unit}", "fooled with norm ≤ ε"], rows));
    }

    /// <summary>About <paramref name="count"/> evenly spread points of <paramref name="points"/>, first and last included.</summary>
    internal static IReadOnlyList<BudgetPoint> Thin(IReadOnlyList<BudgetPoint> points, int count)
    {
        if (points.Count <= count)
        {
            return points;
        }

        return Enumerable.Range(0, count).Select(i => (int)Math.Round(i * (points.Count - 1) / (double)(count - 1)))
            .Distinct().Select(i => points[i]).ToArray();
    }
}

/// <summary>The figures written for a report, as blocks; null where a figure was not drawn.</summary>
internal sealed record ReportFigures(Figure? AdefCurve, Figure? DeepFoolCurve, Figure? Histogram, Figure? Examples);
