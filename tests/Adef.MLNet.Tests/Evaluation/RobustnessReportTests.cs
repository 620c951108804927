using Adef.MLNet.Attacks;
using Adef.MLNet.Evaluation;
using Microsoft.ML;
using Microsoft.ML.Data;
using static Adef.MLNet.Tests.TestSupport.FixedAttackResults;

namespace Adef.MLNet.Tests.Evaluation;

public sealed class RobustnessReportTests
{
    [Fact]
    public void AdefNumbersEqualHandComputedOnes()
    {
        AdefResult[] results = AdefResults();
        var report = RobustnessReport.From(results, TrueLabels);

        Assert.True(report.IsDeformation);
        Assert.Equal(0.8, report.Accuracy, 12);          // 4 of 5 original labels equal the true ones
        Assert.Equal(5, report.LabelledImages);
        Assert.Equal(0.75, report.SuccessRate, 12);      // 3 fooled of 4 attacked
        Assert.Equal(5.0, report.MeanIterations, 12);    // (3 + 7 + 5) / 3
        Assert.Equal([1.0, 2.0, 4.0], report.SuccessfulNorms);
        // Sorted norms 1, 2, 4 at positions q·2: 0.2 → 1.2, 0.5 → 1.5, 1 → 2, 1.5 → 3, 1.8 → 3.6.
        double[] expected = [1.2, 1.5, 2.0, 3.0, 3.6];
        Assert.Equal(RobustnessReport.QuantileLevels, report.NormQuantiles.Select(q => q.Level));
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], report.NormQuantiles[i].Norm, 12);
        Assert.Equal(0.0, report.SuccessRateWithin(0.5), 12);
        Assert.Equal(0.5, report.SuccessRateWithin(2.0), 12);
        Assert.Equal(0.75, report.SuccessRateWithin(100), 12);
        Assert.Equal(AttackSummary.SuccessRateWithinTNorm(results, 3.0), report.SuccessRateWithin(3.0));
        Assert.Equal([(0.0, 0.0), (1.0, 0.25), (2.0, 0.5), (4.0, 0.75)], report.SuccessCurve([0.0, 1.0, 2.0, 4.0]));
        Assert.Equal([(0.0, 0.0), (1.0, 0.25), (2.0, 0.5), (3.0, 0.5), (4.0, 0.75)], report.SuccessCurve(5));
        Assert.Equal(AttackSummary.From(results), report.Summary);
    }

    [Fact]
    public void DeepFoolUsesPixelL2AndNoLabelsMeansNoAccuracy()
    {
        var report = RobustnessReport.From(DeepFoolResults());

        Assert.False(report.IsDeformation);
        Assert.True(double.IsNaN(report.Accuracy));
        Assert.Equal(0, report.LabelledImages);
        Assert.Equal(0.75, report.SuccessRate, 12);
        // Sorted ℓ2 0.5, 1.5, 2.5: 0.2 → 0.7, 0.5 → 1.0, 1 → 1.5, 1.5 → 2.0, 1.8 → 2.3.
        double[] expected = [0.7, 1.0, 1.5, 2.0, 2.3];
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], report.NormQuantiles[i].Norm, 12);
        Assert.Equal(0.5, report.SuccessRateWithin(1.5), 12);
        Assert.Equal(0.25, report.SuccessRateWithin(1.0), 12);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void RecordsGiveTheReportOfTheResultsTheyWereTakenFrom(bool deformations)
    {
        AttackResult[] results = deformations ? AdefResults() : DeepFoolResults();
        AttackRecord[] records = results.Select(r => new AttackRecord(r.OriginalLabel, r.Outcome, r.Iterations, r.PixelL2, r.PixelLInf,
            r is AdefResult adef ? adef.TNorm : double.NaN, TrueLabels[r.Index])).ToArray();

        RobustnessReport expected = RobustnessReport.From(results, TrueLabels), actual = RobustnessReport.FromRecords(records, deformations);

        Assert.Equal(expected.Summary, actual.Summary);
        Assert.Equal((expected.Accuracy, expected.LabelledImages, expected.IsDeformation), (actual.Accuracy, actual.LabelledImages, actual.IsDeformation));
        Assert.Equal(expected.NormQuantiles, actual.NormQuantiles);
        Assert.Equal(expected.SuccessCurve(11), actual.SuccessCurve(11));
    }

    [Fact]
    public void RecordsWithSomeTrueLabelsGiveTheAccuracyOfThoseAndAnAdefRecordNeedsItsNorm()
    {
        AttackRecord fooled = new(1, AttackOutcome.Fooled, 2, 0.5, 0.1, TNorm: 1.5);
        var report = RobustnessReport.FromRecords([fooled with { TrueLabel = 1 }, fooled, fooled with { TrueLabel = 3 }], deformations: true);

        Assert.Equal((0.5, 2), (report.Accuracy, report.LabelledImages));
        Assert.True(double.IsNaN(RobustnessReport.FromRecords([fooled], deformations: false).Accuracy));
        var error = Assert.Throws<ArgumentException>(() => RobustnessReport.FromRecords([fooled, fooled with { TNorm = double.NaN }], deformations: true));
        Assert.Contains("Record 1", error.Message);
    }

    [Theory]
    [InlineData(0.692, 101)] // 0.692 · 100 / 100 rounds below 0.692
    [InlineData(0.83, 11)]   // 0.83 · 10 / 10 rounds below 0.83
    public void SuccessCurveEndsExactlyAtTheLargestNormAndTheSuccessRate(double largest, int points)
    {
        // The fooled images' ℓ2 0.5, 2.5, 1.5 scaled so that the largest is exactly `largest`.
        PerturbationResult[] results = DeepFoolResults().Select(r => r.Outcome == AttackOutcome.Fooled
            ? new PerturbationResult
            {
                Index = r.Index, OriginalLabel = r.OriginalLabel, AdversarialLabel = r.AdversarialLabel, Outcome = r.Outcome,
                Iterations = r.Iterations, AdversarialImage = [], PixelL2 = r.PixelL2 == 2.5 ? largest : r.PixelL2 / 2.5 * largest,
                PixelLInf = 0, Perturbation = [],
            }
            : r).ToArray();
        var report = RobustnessReport.From(results);

        IReadOnlyList<(double Epsilon, double Rate)> curve = report.SuccessCurve(points);

        Assert.Equal(largest, report.SuccessfulNorms.Max());
        Assert.Equal(largest, curve[^1].Epsilon);
        Assert.Equal(0.75, curve[^1].Rate, 12);
        Assert.Equal(report.SuccessRate, curve[^1].Rate);
    }

    [Fact]
    public void EmptyResultsGiveNaN()
    {
        var report = RobustnessReport.From(Array.Empty<AttackResult>());
        Assert.True(double.IsNaN(report.SuccessRate));
        Assert.All(report.NormQuantiles, q => Assert.True(double.IsNaN(q.Norm)));
        Assert.True(double.IsNaN(report.SuccessRateWithin(1)));
    }

    public sealed class AttackedRow
    {
        public int OriginalLabel { get; set; }
        public bool Success { get; set; }
        public int Iterations { get; set; }
        public double TNorm { get; set; }
        public double PixelL2 { get; set; }
        public float Label { get; set; }
    }

    public sealed class DeepFoolRow
    {
        public int OriginalLabel { get; set; }
        public bool Success { get; set; }
        public int Iterations { get; set; }
        public double PixelL2 { get; set; }
    }

    [Fact]
    public void DataViewOfTransformColumnsGivesTheSameReport()
    {
        var ml = new MLContext(seed: 1);
        IDataView view = ml.Data.LoadFromEnumerable(Fixed.Select((f, i) => new AttackedRow
        {
            OriginalLabel = f.Original, Success = f.Outcome == AttackOutcome.Fooled, Iterations = f.Iterations,
            TNorm = f.TNorm, PixelL2 = f.PixelL2, Label = TrueLabels[i],
        }));

        var fromView = RobustnessReport.FromDataView(view, "Label");
        var direct = RobustnessReport.From(AdefResults(), TrueLabels);

        Assert.True(fromView.IsDeformation);
        Assert.Equal(direct.Accuracy, fromView.Accuracy);
        Assert.Equal(direct.SuccessRate, fromView.SuccessRate);
        Assert.Equal(direct.MeanIterations, fromView.MeanIterations);
        Assert.Equal(direct.NormQuantiles, fromView.NormQuantiles);
        Assert.Equal(direct.SuccessCurve(5), fromView.SuccessCurve(5));
        Assert.Equal(direct.Summary.Attacked, fromView.Summary.Attacked);
        Assert.Equal(direct.Summary.MeanTNorm, fromView.Summary.MeanTNorm);
    }

    [Fact]
    public void DataViewWithoutTNormIsADeepFoolReport()
    {
        var ml = new MLContext(seed: 1);
        IDataView view = ml.Data.LoadFromEnumerable(Fixed.Take(4).Select(f => new DeepFoolRow
        {
            OriginalLabel = f.Original, Success = f.Outcome == AttackOutcome.Fooled, Iterations = f.Iterations, PixelL2 = f.PixelL2,
        }));

        var report = RobustnessReport.FromDataView(view);

        Assert.False(report.IsDeformation);
        Assert.True(double.IsNaN(report.Accuracy));
        Assert.Equal(0.75, report.SuccessRate, 12);
        Assert.Equal(1.0, report.NormQuantiles[1].Norm, 12);
    }

    [Fact]
    public void MissingColumnIsNamed()
    {
        var ml = new MLContext(seed: 1);
        IDataView view = ml.Data.LoadFromEnumerable(new[] { new DeepFoolRow() });
        var error = Assert.Throws<ArgumentException>(() => RobustnessReport.FromDataView(view, "Nope"));
        Assert.Contains("Nope", error.Message);
    }
}
