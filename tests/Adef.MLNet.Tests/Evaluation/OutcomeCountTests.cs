using Adef.MLNet.Attacks;
using Adef.MLNet.Evaluation;
using Microsoft.ML;
using static Adef.MLNet.Tests.TestSupport.FixedAttackResults;

namespace Adef.MLNet.Tests.Evaluation;

public sealed class OutcomeCountTests
{
    public sealed class Row
    {
        public int OriginalLabel { get; set; }
        public bool Success { get; set; }
        public string Outcome { get; set; } = "";
        public int Iterations { get; set; }
        public double PixelL2 { get; set; }
    }

    private static IDataView View(params string[] outcomes) => new MLContext(seed: 1).Data.LoadFromEnumerable(outcomes.Select(o => new Row
    {
        OriginalLabel = 1, Success = o == "Fooled", Outcome = o, Iterations = 2, PixelL2 = 0.5,
    }));

    [Fact]
    public void ResultsAreCountedByOutcomeWithEveryOutcomeAKey()
    {
        RobustnessReport report = RobustnessReport.From(AdefResults());

        Assert.Equal(Enum.GetValues<AttackOutcome>(), report.OutcomeCounts.Keys.Order());
        Assert.Equal((3, 1, 1, 0), (report.OutcomeCounts[AttackOutcome.Fooled], report.OutcomeCounts[AttackOutcome.MaxIterationsReached],
            report.OutcomeCounts[AttackOutcome.AlreadyMisclassified], report.OutcomeCounts[AttackOutcome.Stalled]));
    }

    [Fact]
    public void TheOutcomeColumnOfAViewIsCountedAndALabelMismatchIsNotAttacked()
    {
        RobustnessReport report = RobustnessReport.FromDataView(View("Fooled", "Stalled", "Stalled", "NumericalFailure", "BudgetExceeded"));

        Assert.Equal((1, 2, 1, 1, 0), (report.OutcomeCounts[AttackOutcome.Fooled], report.OutcomeCounts[AttackOutcome.Stalled],
            report.OutcomeCounts[AttackOutcome.NumericalFailure], report.OutcomeCounts[AttackOutcome.BudgetExceeded],
            report.OutcomeCounts[AttackOutcome.MaxIterationsReached]));
        Assert.Equal(0.2, report.SuccessRate, 12);
    }

    [Theory]
    [InlineData("Sideways")]
    [InlineData("1")]
    [InlineData("")]
    public void AnOutcomeThatNamesNoneIsRefusedNamingIt(string outcome)
    {
        var error = Assert.Throws<ArgumentException>(() => RobustnessReport.FromDataView(View("Fooled", outcome)));
        Assert.Contains($"'{outcome}'", error.Message);
        Assert.Contains("Outcome", error.Message);
    }
}
