using Adef.MLNet.Tests.TestSupport;
using Adef.Samples;

namespace Adef.MLNet.Tests.Samples;

/// <summary>The attack command's results.csv reading, used by --resume and for summary.json.</summary>
[Collection(ConsoleDisplayCollection.Name)]
public class AttackCommandCsvTests
{
    private const string Header =
        "file,original_label,adversarial_label,success,outcome,iterations,t_norm,field_l2,pixel_l2,pixel_linf,true_label,clean_correct,png_label\n";

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

        List<AttackCommand.CsvRow> rows = AttackCommand.ReadCsv(path);

        Assert.Equal(new[] { "00000", "a,b.png", "00002" }, rows.Select(r => r.File));
        var summary = AttackCommand.Summarise(rows);
        Assert.Equal(3, summary.Images);
        Assert.Equal(2, summary.Attacked);
        Assert.Equal(2, summary.Fooled);
        Assert.Equal(4, summary.MeanIterations);
        Assert.Equal(2.0, summary.MeanTNorm);
        Assert.Equal(2.0, summary.MedianTNorm);
        Assert.Equal(850, summary.MeanPixelL2);
        Assert.Equal(4, rows[1].Truth);
    }
}
