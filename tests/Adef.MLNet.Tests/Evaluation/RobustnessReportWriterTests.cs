using Adef.MLNet.Classifiers;
using System.Globalization;
using System.Net;
using System.Text.Json;
using Adef.MLNet.Attacks;
using Adef.MLNet.Evaluation;
using static Adef.MLNet.Tests.TestSupport.FixedAttackResults;

namespace Adef.MLNet.Tests.Evaluation;

public sealed class RobustnessReportWriterTests : IDisposable
{
    private static readonly ImageDisplay Small = new(new ImageShape(1, 8, 8));

    private readonly string folder = Path.Combine(Path.GetTempPath(), "adef-report-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(folder))
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static RobustnessReport AdefReport(int[]? trueLabels = null) => RobustnessReport.From(AdefResults(), trueLabels ?? TrueLabels);

    private static RobustnessReport DeepFoolReport(int take = 5) => RobustnessReport.From(DeepFoolResults(take), TrueLabels.Take(take).ToArray());

    /// <summary>A bright column moved one pixel right, with the constant field that does it.</summary>
    private static ExampleRow Example(string label)
    {
        var original = new float[Small.Shape.Size];
        var deformed = new float[Small.Shape.Size];
        for (int y = 0; y < 8; y++)
        {
            original[y * 8 + 3] = 1;
            deformed[y * 8 + 4] = 1;
        }

        var field = new float[Small.Shape.FieldSize];
        Array.Fill(field, -1f, 0, 64);
        return new ExampleRow(original, deformed, field, label, "0", 1.0);
    }

    private WrittenRobustnessReport WriteFull(int examples = 2) => RobustnessReportWriter.Write(folder, "Tiny-Net", AdefReport(), DeepFoolReport(),
        Enumerable.Range(0, examples).Select(i => Example(i.ToString(CultureInfo.InvariantCulture))).ToArray(), Small,
        new RobustnessReportOptions { DeepFoolEpsilon = 1.5, DatasetDescription = "five hand-made results" });

    [Fact]
    public void WritesEveryFigureAsPngOfTheDocumentedSize()
    {
        WrittenRobustnessReport written = WriteFull(examples: 2);

        string[] expected =
        [
            RobustnessReportWriter.AdefCurveFileName, RobustnessReportWriter.DeepFoolCurveFileName, RobustnessReportWriter.HistogramFileName,
            RobustnessReportWriter.ExamplesFileName, RobustnessReportWriter.JsonFileName, RobustnessReportWriter.MarkdownFileName,
            RobustnessReportWriter.HtmlFileName,
        ];
        Assert.Equal(expected, written.Files.Select(Path.GetFileName));
        Assert.All(written.Files, f => Assert.True(File.Exists(f), f));
        Assert.Equal(Path.Combine(Path.GetFullPath(folder), "report.md"), written.MarkdownPath);
        Assert.Equal(Path.Combine(Path.GetFullPath(folder), "report.html"), written.HtmlPath);

        var curveSize = (AttackFigures.SuccessCurveWidth, AttackFigures.SuccessCurveHeight);
        Assert.Equal((800, 500), curveSize);
        Assert.Equal(curveSize, PngHeader.ReadSize(Path.Combine(folder, RobustnessReportWriter.AdefCurveFileName)));
        Assert.Equal(curveSize, PngHeader.ReadSize(Path.Combine(folder, RobustnessReportWriter.DeepFoolCurveFileName)));
        Assert.Equal((800, 500), PngHeader.ReadSize(Path.Combine(folder, RobustnessReportWriter.HistogramFileName)));
        Assert.Equal((1280, 640), AttackFigures.ExampleGridSize(2, withDifference: true));
        Assert.Equal((1280, 640), PngHeader.ReadSize(Path.Combine(folder, RobustnessReportWriter.ExamplesFileName)));
    }

    [Fact]
    public void WithoutDeepFoolOrExamplesTheirFiguresAreLeftOut()
    {
        WrittenRobustnessReport written = RobustnessReportWriter.Write(folder, "Tiny-Net", AdefReport(), null, [], Small);

        Assert.Equal(
            [RobustnessReportWriter.AdefCurveFileName, RobustnessReportWriter.HistogramFileName, RobustnessReportWriter.JsonFileName,
             RobustnessReportWriter.MarkdownFileName, RobustnessReportWriter.HtmlFileName],
            written.Files.Select(Path.GetFileName));
        Assert.Null(written.Numbers.DeepFool);
        var table = MarkdownTables.Parse(File.ReadAllText(written.MarkdownPath))[0];
        Assert.Equal(["", "ADef"], table.Header);
    }

    [Fact]
    public void MarkdownTableShowsTheHandComputedNumbers()
    {
        WrittenRobustnessReport written = WriteFull();
        string markdown = File.ReadAllText(written.MarkdownPath);
        var tables = MarkdownTables.Parse(markdown);
        var attacks = MarkdownTables.ByRowLabel(tables[0]);

        Assert.Contains("Accuracy: 80.00 % of 5 labelled images.", markdown);
        Assert.Equal(["", "ADef", "DeepFool"], tables[0].Header);
        Assert.Equal(["5", "5"], attacks["images"]);
        Assert.Equal(["4", "4"], attacks["attacked (classified correctly)"]);
        Assert.Equal(["3", "3"], attacks["fooled"]);
        Assert.Equal(["75.00 %", "75.00 %"], attacks["success rate"]);
        Assert.Equal(["3 px", "1.5"], attacks["budget ε"]);
        Assert.Equal(["50.00 %", "50.00 %"], attacks["success rate with norm ≤ ε"]); // ‖τ‖_T 1, 2 ≤ 3; ℓ2 0.5, 1.5 ≤ 1.5
        Assert.Equal(["5.000", "5.000"], attacks["mean iterations (successful)"]);
        Assert.Equal(["‖τ‖_T (px)", "pixel ℓ2"], attacks["norm"]);
        Assert.Equal(["2.333", "1.500"], attacks["mean norm (successful)"]);
        Assert.Equal(["1.200", "0.700"], attacks["norm, 10 % quantile"]);
        Assert.Equal(["2.000", "1.500"], attacks["norm, 50 % quantile"]);
        Assert.Equal(["3.600", "2.300"], attacks["norm, 90 % quantile"]);
    }

    [Fact]
    public void ReportNumbersEqualTheNumbersObjectAndReportJson()
    {
        WrittenRobustnessReport written = WriteFull();
        RobustnessReportNumbers numbers = written.Numbers;
        var json = JsonSerializer.Deserialize<RobustnessReportNumbers>(
            File.ReadAllText(Path.Combine(folder, RobustnessReportWriter.JsonFileName)), RobustnessReportWriter.JsonOptions)!;
        var tables = MarkdownTables.Parse(File.ReadAllText(written.MarkdownPath));
        var attacks = MarkdownTables.ByRowLabel(tables[0]);

        AttackReportNumbers[] fromObject = [numbers.Adef!, numbers.DeepFool!];
        AttackReportNumbers[] fromJson = [json.Adef!, json.DeepFool!];
        Assert.Equal(numbers.Accuracy, json.Accuracy);
        Assert.Equal(numbers.Images, json.Images);
        for (int a = 0; a < 2; a++)
        {
            foreach (AttackReportNumbers source in new[] { fromObject[a], fromJson[a] })
            {
                Assert.Equal(source.Summary.Images, int.Parse(attacks["images"][a], CultureInfo.InvariantCulture));
                Assert.Equal(source.Summary.Attacked, int.Parse(attacks["attacked (classified correctly)"][a], CultureInfo.InvariantCulture));
                Assert.Equal(source.Summary.Fooled, int.Parse(attacks["fooled"][a], CultureInfo.InvariantCulture));
                AssertPercent(source.Summary.SuccessRate, attacks["success rate"][a]);
                AssertPercent(source.SuccessRateWithinEpsilon!.Value, attacks["success rate with norm ≤ ε"][a]);
                AssertDecimal(source.Summary.MeanIterations, attacks["mean iterations (successful)"][a]);
                AssertDecimal(source.MeanNorm, attacks["mean norm (successful)"][a]);
                foreach (NormQuantile q in source.NormQuantiles)
                {
                    AssertDecimal(q.Value, attacks[$"norm, {q.Level * 100:0} % quantile"][a]);
                }
            }

            Assert.Equal(fromObject[a].SuccessCurve, fromJson[a].SuccessCurve);
            Assert.Equal(fromObject[a].NormQuantiles, fromJson[a].NormQuantiles);
        }

        // The curve tables (one per attack, after the attack table) are thinned from the same curve, first and last kept.
        for (int a = 0; a < 2; a++)
        {
            List<string[]> rows = tables[1 + a].Rows;
            Assert.Equal(11, rows.Count);
            BudgetPoint last = fromObject[a].SuccessCurve[^1];
            AssertDecimal(last.Epsilon, rows[^1][0]);
            AssertPercent(last.SuccessRate, rows[^1][1]);
            foreach (string[] row in rows)
            {
                double epsilon = double.Parse(row[0], CultureInfo.InvariantCulture);
                BudgetPoint point = fromObject[a].SuccessCurve.Single(p => Math.Abs(p.Epsilon - epsilon) <= 0.0005);
                AssertPercent(point.SuccessRate, row[1]);
            }
        }
    }

    [Fact]
    public void HtmlShowsTheSameTablesAsMarkdown()
    {
        WrittenRobustnessReport written = WriteFull();
        string html = File.ReadAllText(written.HtmlPath);
        var tables = MarkdownTables.Parse(File.ReadAllText(written.MarkdownPath));

        Assert.StartsWith("<!DOCTYPE html>", html);
        foreach ((string[] _, List<string[]> rows) in tables)
        {
            foreach (string[] row in rows)
            {
                Assert.Contains("<tr>" + string.Concat(row.Select(c => $"<td>{WebUtility.HtmlEncode(c)}</td>")) + "</tr>", html);
            }
        }

        foreach (string png in written.Files.Where(f => f.EndsWith(".png", StringComparison.Ordinal)))
        {
            Assert.Contains($"<img src=\"{Path.GetFileName(png)}\"", html);
            Assert.Contains($"]({Path.GetFileName(png)})", File.ReadAllText(written.MarkdownPath));
        }
    }

    [Fact]
    public void SuccessCurvesRiseFromZeroToTheSuccessRate()
    {
        RobustnessReportNumbers numbers = WriteFull().Numbers;

        foreach (AttackReportNumbers attack in new[] { numbers.Adef!, numbers.DeepFool! })
        {
            IReadOnlyList<BudgetPoint> curve = attack.SuccessCurve;
            Assert.Equal(RobustnessReportOptions.Default.CurvePoints, curve.Count);
            Assert.Equal(new BudgetPoint(0, 0), curve[0]);
            for (int i = 1; i < curve.Count; i++)
            {
                Assert.True(curve[i].Epsilon > curve[i - 1].Epsilon, $"ε at {i} does not grow");
                Assert.True(curve[i].SuccessRate >= curve[i - 1].SuccessRate, $"rate falls at {i}");
            }

            Assert.Equal(attack.Summary.SuccessRate, curve[^1].SuccessRate);
            Assert.Equal(0.75, curve[^1].SuccessRate);
        }

        Assert.Equal(4.0, numbers.Adef!.SuccessCurve[^1].Epsilon);  // the largest successful ‖τ‖_T
        Assert.Equal(2.5, numbers.DeepFool!.SuccessCurve[^1].Epsilon);
    }

    [Fact]
    public void ADeepFoolOnlyReportHasItsCurveAndNoDeformationSections()
    {
        WrittenRobustnessReport written = RobustnessReportWriter.Write(folder, "Tiny-Net", null, DeepFoolReport(), [], null,
            new RobustnessReportOptions { DeepFoolEpsilon = 1.5 });

        Assert.Equal([RobustnessReportWriter.DeepFoolCurveFileName, RobustnessReportWriter.JsonFileName, RobustnessReportWriter.MarkdownFileName,
            RobustnessReportWriter.HtmlFileName], written.Files.Select(Path.GetFileName));
        Assert.Null(written.Numbers.Adef);
        Assert.Equal((5, 0.8), (written.Numbers.Images, written.Numbers.Accuracy));
        Assert.Equal(0.5, written.Numbers.DeepFool!.SuccessRateWithinEpsilon!.Value, 12); // ℓ2 0.5 and 1.5 of 4 attacked
        string markdown = File.ReadAllText(written.MarkdownPath);
        var table = MarkdownTables.Parse(markdown)[0];
        Assert.Equal(["", "DeepFool"], table.Header);
        Assert.Equal(["75.00 %"], MarkdownTables.ByRowLabel(table)["success rate"]);
        Assert.Equal(["0.700"], MarkdownTables.ByRowLabel(table)["norm, 10 % quantile"]);
        Assert.DoesNotContain("## Examples", markdown);
        Assert.DoesNotContain("‖τ‖_T", markdown); // neither the histogram nor the ADef norm's explanation
    }

    [Fact]
    public void BadInputIsRefusedBeforeAnythingIsWritten()
    {
        RobustnessReport adef = AdefReport(), deepFool = DeepFoolReport();
        ExampleRow good = Example("1");

        Assert.Throws<ArgumentNullException>(() => RobustnessReportWriter.Write(folder, "M", null!, null, [], Small));
        Assert.Throws<ArgumentException>(() => RobustnessReportWriter.Write(folder, " ", adef, null, [], Small));
        Assert.Throws<ArgumentException>(() => RobustnessReportWriter.Write("", "M", adef, null, [], Small));

        var swapped = Assert.Throws<ArgumentException>(() => RobustnessReportWriter.Write(folder, "M", deepFool, adef, [], Small));
        Assert.Equal("adefReport", swapped.ParamName);
        Assert.Contains("ADef results", swapped.Message);

        var twoAdef = Assert.Throws<ArgumentException>(() => RobustnessReportWriter.Write(folder, "M", adef, adef, [], Small));
        Assert.Equal("deepFoolReport", twoAdef.ParamName);

        var otherImages = Assert.Throws<ArgumentException>(() => RobustnessReportWriter.Write(folder, "M", adef, DeepFoolReport(take: 4), [], Small));
        Assert.Equal("deepFoolReport", otherImages.ParamName);
        Assert.Contains("4 images", otherImages.Message);

        var otherAccuracy = Assert.Throws<ArgumentException>(() =>
            RobustnessReportWriter.Write(folder, "M", AdefReport([1, 1, 1, 1, 2]), deepFool, [], Small));
        Assert.Contains("accuracy", otherAccuracy.Message);

        var nothingAttacked = Assert.Throws<ArgumentException>(() =>
            RobustnessReportWriter.Write(folder, "M", RobustnessReport.From(Array.Empty<AttackResult>()), null, [], Small));
        Assert.Contains("attacked no image", nothingAttacked.Message);

        var badExample = Assert.Throws<ArgumentException>(() =>
            RobustnessReportWriter.Write(folder, "M", adef, null, [good, good with { VectorField = new float[5] }], Small));
        Assert.Equal("examples", badExample.ParamName);
        Assert.Contains("examples[1].VectorField", badExample.Message);

        Assert.Throws<ArgumentNullException>(() => RobustnessReportWriter.Write(folder, "M", null, null, [], Small));
        var examplesWithoutAdef = Assert.Throws<ArgumentException>(() => RobustnessReportWriter.Write(folder, "M", null, deepFool, [good], Small));
        Assert.Equal("examples", examplesWithoutAdef.ParamName);
        Assert.Throws<ArgumentNullException>(() => RobustnessReportWriter.Write(folder, "M", adef, null, [good], null));

        var badLayout = Assert.Throws<ArgumentException>(() => RobustnessReportWriter.Write(folder, "M", adef, null, [], Small with { Shape = new ImageShape(2, 8, 8) }));
        Assert.Equal("display", badLayout.ParamName);

        foreach (RobustnessReportOptions options in new[]
        {
            new RobustnessReportOptions { Epsilon = 0 }, new RobustnessReportOptions { Epsilon = double.NaN },
            new RobustnessReportOptions { DeepFoolEpsilon = -1 }, new RobustnessReportOptions { CurvePoints = 1 },
            new RobustnessReportOptions { CurveTableRows = 1 }, new RobustnessReportOptions { ArrowSpacing = -2 },
        })
        {
            var error = Assert.Throws<ArgumentException>(() => RobustnessReportWriter.Write(folder, "M", adef, null, [], Small, options));
            Assert.Equal("options", error.ParamName);
            Assert.StartsWith("options.", error.Message);
        }

        Assert.False(Directory.Exists(folder));
    }

    private static void AssertPercent(double expected, string cell)
    {
        Assert.EndsWith(" %", cell);
        double shown = double.Parse(cell[..^2], CultureInfo.InvariantCulture) / 100;
        Assert.True(Math.Abs(shown - expected) <= 0.00005 + 1e-12, $"{cell} shows {shown}, the numbers say {expected}");
    }

    private static void AssertDecimal(double expected, string cell)
    {
        double shown = double.Parse(cell, CultureInfo.InvariantCulture);
        Assert.True(Math.Abs(shown - expected) <= 0.0005 + 1e-12, $"{cell} shows {shown}, the numbers say {expected}");
    }
}
