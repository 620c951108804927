using Adef.Cli;
using Adef.MLNet.Attacks;
using Adef.MLNet.Tests.TestSupport;

namespace Adef.MLNet.Tests.Cli;

/// <summary>The attack command's results.csv: the exact text written, and reading it back for --resume and summary.json.</summary>
public class ResultsCsvTests
{
    private const string Header =
        "file,original_label,adversarial_label,success,outcome,iterations,t_norm,field_l2,pixel_l2,pixel_linf,true_label,clean_correct,png_label\n";

    [Fact]
    public void RowsAreWrittenInTheFormatOfEarlierRuns()
    {
        using var folder = new TempFolder();
        string path = folder.File("results.csv");
        var adef = new AdefResult
        {
            Index = 0, OriginalLabel = 7, AdversarialLabel = 2, Outcome = AttackOutcome.Fooled, Iterations = 3, AdversarialImage = [],
            PixelL2 = 873.768353456, PixelLInf = 220.108644, VectorField = [], TNorm = 1.0 / 3, FieldL2 = 6, Overshot = false,
        };
        var deepFool = new PerturbationResult
        {
            Index = 1, OriginalLabel = 1, AdversarialLabel = 1, Outcome = AttackOutcome.AlreadyMisclassified, Iterations = 0,
            AdversarialImage = [], PixelL2 = 0, PixelLInf = 6.96182251E-05, Perturbation = [],
        };

        ResultsCsv.Create(path, default);
        using (var csv = ResultsCsv.Append(path))
        {
            ResultsCsv.Write(csv, "00000", adef, 7, 2);
            ResultsCsv.Write(csv, "sub/cat, \"tabby\".jpg", deepFool, 4, 1);
            ResultsCsv.Write(csv, "x.png", adef, null, 7);
        }

        Assert.Equal(Header +
            "00000,7,2,true,Fooled,3,0.333333333,6,873.768353,220.108644,7,true,2\n" +
            "\"sub/cat, \"\"tabby\"\".jpg\",1,1,false,AlreadyMisclassified,0,,,0,6.96182251E-05,4,false,1\n" +
            "x.png,7,2,true,Fooled,3,0.333333333,6,873.768353,220.108644,,,7\n", File.ReadAllText(path));
    }

    [Fact]
    public void ReadsQuotedRowsAndSkipsATornLastLine()
    {
        using var folder = new TempFolder();
        string path = folder.File("results.csv");
        File.WriteAllText(path, Header +
            "00000,7,2,true,Fooled,3,1.5,6,800,200,7,true,2\n" +
            "\"a,b.png\",1,1,false,AlreadyMisclassified,0,,,0,0,4,false,1\n" +
            "00002,3,5,true,Fooled,5,2.5,7,900,210,3,true,3\n" +
            "00003,4,9,true,Fo");

        List<ResultsCsv.Row> rows = ResultsCsv.Read(path);

        Assert.Equal(new[] { "00000", "a,b.png", "00002" }, rows.Select(r => r.File));
        var summary = ResultsCsv.Summarise(rows);
        Assert.Equal(3, summary.Images);
        Assert.Equal(2, summary.Attacked);
        Assert.Equal(2, summary.Fooled);
        Assert.Equal(4, summary.MeanIterations);
        Assert.Equal(2.0, summary.MeanTNorm);
        Assert.Equal(2.0, summary.MedianTNorm);
        Assert.Equal(850, summary.MeanPixelL2);
        Assert.Equal(4, rows[1].Truth);
    }

    [Fact]
    public void RewritingTheRowsReadKeepsTheirTextAndDropsATornLine()
    {
        using var folder = new TempFolder();
        string path = folder.File("results.csv");
        const string rows = "\"a,b.png\",1,1,false,AlreadyMisclassified,0,,,0,0,4,false,1\n" +
                            "00002,3,5,true,Fooled,5,2.5,7,900,210,,,3\n";
        File.WriteAllText(path, Header + rows + "00003,4,9,tr");

        ResultsCsv.Create(path, default, ResultsCsv.Read(path));

        Assert.Equal(Header + rows, File.ReadAllText(path));
    }

    [Fact]
    public void ClassNamesAreThreeMoreColumnsQuotedWhereNeededAndReadBack()
    {
        using var folder = new TempFolder();
        string path = folder.File("results.csv");
        var result = new PerturbationResult
        {
            Index = 0, OriginalLabel = 0, AdversarialLabel = 1, Outcome = AttackOutcome.Fooled, Iterations = 2, AdversarialImage = [],
            PixelL2 = 0.5, PixelLInf = 0.25, Perturbation = [],
        };
        ClassLabels names = ClassLabels.FromNames(["tench, Tinca tinca", "goldfish"]);

        ResultsCsv.Create(path, new ResultsCsv.Layout(Targeted: false, Names: true));
        using (var csv = ResultsCsv.Append(path))
        {
            ResultsCsv.Write(csv, "a.jpg", result, 0, 1, names);
            ResultsCsv.Write(csv, "b.jpg", result, null, 1, names);
        }

        Assert.Equal(Header.TrimEnd('\n') + ",original_name,adversarial_name,true_name\n" +
            "a.jpg,0,1,true,Fooled,2,,,0.5,0.25,0,true,1,\"tench, Tinca tinca\",goldfish,\"tench, Tinca tinca\"\n" +
            "b.jpg,0,1,true,Fooled,2,,,0.5,0.25,,,1,\"tench, Tinca tinca\",goldfish,\n", File.ReadAllText(path));
        Assert.Equal(new ResultsCsv.Layout(Targeted: false, Names: true), ResultsCsv.LayoutOf(path));
        List<ResultsCsv.Row> rows = ResultsCsv.Read(path);
        Assert.Equal(["a.jpg", "b.jpg"], rows.Select(r => r.File));
        Assert.Equal("tench, Tinca tinca", rows[0].Fields[13]);
        ResultsCsv.Create(path, new ResultsCsv.Layout(Targeted: false, Names: true), rows);
        Assert.Equal(rows.Select(r => r.Fields), ResultsCsv.Read(path).Select(r => r.Fields));
    }

    [Fact]
    public void ATargetedRunAddsTheTargetColumnAndReadsBackWithIt()
    {
        using var folder = new TempFolder();
        string path = folder.File("results.csv");
        var reached = new PerturbationResult
        {
            Index = 0, OriginalLabel = 7, AdversarialLabel = 2, Target = 2, Outcome = AttackOutcome.Fooled, Iterations = 3,
            AdversarialImage = [], PixelL2 = 0.5, PixelLInf = 0.25, Perturbation = [],
        };
        var passed = new PerturbationResult
        {
            Index = 1, OriginalLabel = 7, AdversarialLabel = 4, Target = 2, Outcome = AttackOutcome.MaxIterationsReached, Iterations = 50,
            AdversarialImage = [], PixelL2 = 1, PixelLInf = 0.5, Perturbation = [],
        };
        var rounded = new PerturbationResult
        {
            Index = 2, OriginalLabel = 7, AdversarialLabel = 2, Target = 2, Outcome = AttackOutcome.Fooled, Iterations = 4,
            AdversarialImage = [], PixelL2 = 1, PixelLInf = 0.5, Perturbation = [],
        };

        ResultsCsv.Create(path, new ResultsCsv.Layout(Targeted: true, Names: false));
        using (var csv = ResultsCsv.Append(path))
        {
            ResultsCsv.Write(csv, "a.png", reached, 7, 2);
            ResultsCsv.Write(csv, "b.png", passed, null, 4);
            ResultsCsv.Write(csv, "c.png", rounded, null, 4);
        }

        Assert.Equal(Header.TrimEnd('\n') + ",target\n" +
            "a.png,7,2,true,Fooled,3,,,0.5,0.25,7,true,2,2\n" +
            "b.png,7,4,false,MaxIterationsReached,50,,,1,0.5,,,4,2\n" +
            "c.png,7,2,true,Fooled,4,,,1,0.5,,,4,2\n", File.ReadAllText(path));
        Assert.Equal(new ResultsCsv.Layout(Targeted: true, Names: false), ResultsCsv.LayoutOf(path));
        List<ResultsCsv.Row> rows = ResultsCsv.Read(path);
        Assert.Equal(new int?[] { 2, 2, 2 }, rows.Select(r => r.Target));
        // After rounding to PNG bytes a targeted success must still have the target's label, not merely another one (c.png).
        // Fails if FooledAfterRounding counts any label other than the clean one.
        Assert.Equal(new[] { true, false, false }, rows.Select(r => r.FooledAfterRounding));
    }
}
