using Adef.MLNet.Attacks;
using Adef.MLNet.Evaluation;
using Microsoft.ML;

namespace Adef.MLNet.Tests.Evaluation;

/// <summary>mlContext.Robustness().Evaluate on small hand-made attacked data views, against numbers worked out by hand.</summary>
public sealed class RobustnessMetricsTests
{
    public sealed class Row
    {
        public int OriginalLabel { get; set; }
        public bool Success { get; set; }
        public int Iterations { get; set; }
        public double TNorm { get; set; }
        public double PixelL2 { get; set; }
        public int Label { get; set; }
        public string Outcome { get; set; } = "";
    }

    // Eight images: three fooled (‖τ‖_T 0.5, 1.5, 3 px; ℓ2 0.1, 0.3, 0.7; 2, 4, 6 iterations), four failed in four ways, and
    // one misclassified (true label 0, classified 7), which the attack does not count.
    private static readonly Row[] Rows =
    [
        new() { OriginalLabel = 1, Label = 1, Success = true, Outcome = "Fooled", Iterations = 2, TNorm = 0.5, PixelL2 = 0.1 },
        new() { OriginalLabel = 2, Label = 2, Success = true, Outcome = "Fooled", Iterations = 4, TNorm = 1.5, PixelL2 = 0.3 },
        new() { OriginalLabel = 3, Label = 3, Success = true, Outcome = "Fooled", Iterations = 6, TNorm = 3.0, PixelL2 = 0.7 },
        new() { OriginalLabel = 4, Label = 4, Outcome = "MaxIterationsReached", Iterations = 10, TNorm = 2.0, PixelL2 = 0.5 },
        new() { OriginalLabel = 5, Label = 5, Outcome = "BudgetExceeded", Iterations = 3, TNorm = 4.0, PixelL2 = 0.9 },
        new() { OriginalLabel = 6, Label = 6, Outcome = "Stalled", Iterations = 5, TNorm = 0.2, PixelL2 = 0.05 },
        new() { OriginalLabel = 7, Label = 0, Outcome = "AlreadyMisclassified" },
        new() { OriginalLabel = 8, Label = 8, Outcome = "NumericalFailure", Iterations = 1 },
    ];

    private static readonly MLContext Ml = new(seed: 1);

    [Fact]
    public void AdefMetricsEqualHandComputedValues()
    {
        RobustnessMetrics metrics = Ml.Robustness().Evaluate(Ml.Data.LoadFromEnumerable(Rows), labelColumnName: "Label", budgets: [0, 1, 1.5, 3]);

        Assert.True(metrics.IsDeformation);
        Assert.Equal("‖τ‖_T", metrics.NormName);
        Assert.Equal((8, 7, 3, 8), (metrics.Images, metrics.Attacked, metrics.Fooled, metrics.LabelledImages));
        Assert.Equal(7.0 / 8, metrics.Accuracy, 12);
        Assert.Equal(3.0 / 7, metrics.SuccessRate, 12);
        // ‖τ‖_T ≤ 0: none; ≤ 1: 0.5; ≤ 1.5: 0.5 and 1.5 (the budget itself counts); ≤ 3: all three.
        Assert.Equal([new(0, 0), new(1, 1.0 / 7), new(1.5, 2.0 / 7), new(3, 3.0 / 7)], metrics.SuccessRateWithinBudgets);
        // Sorted norms 0.5, 1.5, 3 at positions q·2: 0.2 → 0.7, 0.5 → 1, 1 → 1.5, 1.5 → 2.25, 1.8 → 2.7.
        double[] quantiles = [0.7, 1.0, 1.5, 2.25, 2.7];
        Assert.Equal([0.1, 0.25, 0.5, 0.75, 0.9], metrics.NormQuantiles.Select(q => q.Level));
        for (int i = 0; i < quantiles.Length; i++) Assert.Equal(quantiles[i], metrics.NormQuantiles[i].Value, 12);
        Assert.Equal(4.0, metrics.MeanIterations, 12);
        Assert.True(metrics.OutcomesRecorded);
        // The rows hold each outcome once (Fooled three times) but LostToRounding, which only valid-image runs have.
        Assert.All(Enum.GetValues<AttackOutcome>(), o => Assert.Equal(o switch
        {
            AttackOutcome.Fooled => 3,
            AttackOutcome.LostToRounding => 0,
            _ => 1,
        }, metrics.OutcomeCounts[o]));
    }

    [Fact]
    public void WithoutAnOutcomeColumnFailuresCountAsMaxIterationsAndTheNormIsPixelL2()
    {
        IDataView full = Ml.Data.LoadFromEnumerable(Rows);
        IDataView view = Ml.Transforms.DropColumns("Outcome", "TNorm").Fit(full).Transform(full); // what a DeepFool transform gives

        RobustnessMetrics metrics = Ml.Robustness().Evaluate(view, "Label", [0.3]);

        Assert.False(metrics.IsDeformation);
        Assert.Equal("pixel ℓ2", metrics.NormName);
        Assert.Equal(3.0 / 7, metrics.SuccessRate, 12);
        Assert.Equal([new BudgetPoint(0.3, 2.0 / 7)], metrics.SuccessRateWithinBudgets);
        Assert.Equal(0.3, metrics.NormQuantiles[2].Value, 12); // median of 0.1, 0.3, 0.7
        Assert.False(metrics.OutcomesRecorded);
        Assert.Equal(3, metrics.OutcomeCounts[AttackOutcome.Fooled]);
        Assert.Equal(4, metrics.OutcomeCounts[AttackOutcome.MaxIterationsReached]);
        Assert.Equal(1, metrics.OutcomeCounts[AttackOutcome.AlreadyMisclassified]);
        Assert.Equal(0, metrics.OutcomeCounts[AttackOutcome.Stalled]);
    }

    [Fact]
    public void WithoutLabelsAccuracyIsNaNAndRecordedOutcomesStand()
    {
        RobustnessMetrics metrics = Ml.Robustness().Evaluate(Ml.Data.LoadFromEnumerable(Rows));

        Assert.True(double.IsNaN(metrics.Accuracy));
        Assert.Equal(0, metrics.LabelledImages);
        Assert.Empty(metrics.SuccessRateWithinBudgets);
        // The recorded AlreadyMisclassified row stays as recorded: without labels nothing overrides it.
        Assert.Equal((8, 7, 3), (metrics.Images, metrics.Attacked, metrics.Fooled));
    }

    [Fact]
    public void ARowWhoseTrueLabelDiffersIsNotAttackedWhateverItsOutcomeSays()
    {
        Row[] rows = [.. Rows.Take(6), new Row { OriginalLabel = 7, Label = 0, Success = true, Outcome = "Fooled", Iterations = 1, TNorm = 0.1 }];

        RobustnessMetrics metrics = Ml.Robustness().Evaluate(Ml.Data.LoadFromEnumerable(rows), "Label");

        Assert.Equal((7, 6, 3), (metrics.Images, metrics.Attacked, metrics.Fooled));
        Assert.Equal(1, metrics.OutcomeCounts[AttackOutcome.AlreadyMisclassified]);
    }

    [Fact]
    public void AnOutcomeThatIsNoAttackOutcomeNameIsRejectedWithTheValue()
    {
        Row[] rows = [Rows[0], new Row { OriginalLabel = 2, Label = 2, Outcome = "Timeout" }];

        var error = Assert.Throws<ArgumentException>(() => Ml.Robustness().Evaluate(Ml.Data.LoadFromEnumerable(rows), "Label"));

        Assert.Contains("'Timeout' at row 1", error.Message);
    }

    [Theory]
    [InlineData(-0.1)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void ABudgetThatIsNegativeOrNotFiniteIsRejected(double budget)
    {
        var error = Assert.Throws<ArgumentException>(() => Ml.Robustness().Evaluate(Ml.Data.LoadFromEnumerable(Rows), budgets: [1, budget]));
        Assert.Equal("budgets", error.ParamName);
    }

    [Fact]
    public void MetricsSerialiseToJsonWithNamedFields()
    {
        RobustnessMetrics metrics = Ml.Robustness().Evaluate(Ml.Data.LoadFromEnumerable(Rows), "Label", [1]);

        string json = System.Text.Json.JsonSerializer.Serialize(metrics);

        Assert.Contains("\"SuccessRateWithinBudgets\":[{\"Epsilon\":1,\"SuccessRate\":0.14285714285714285}]", json);
        Assert.Contains("\"OutcomeCounts\":{\"Fooled\":3,", json);
        Assert.Contains("{\"Level\":0.5,\"Value\":1.5}", json);
    }

    [Fact]
    public void MetricsOfAReportEqualTheReportsOwnNumbers()
    {
        var report = RobustnessReport.FromDataView(Ml.Data.LoadFromEnumerable(Rows), "Label");

        RobustnessMetrics metrics = RobustnessMetrics.From(report, [2]);

        Assert.Equal(report.SuccessRateWithin(2), metrics.SuccessRateWithinBudgets[0].SuccessRate);
        Assert.Equal(report.NormQuantiles.Select(q => new NormQuantile(q.Level, q.Norm)), metrics.NormQuantiles);
        Assert.Equal(report.OutcomeCounts, metrics.OutcomeCounts);
    }
}
