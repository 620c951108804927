using Adef.MLNet.Data;
using Adef.MLNet.Tests.TestSupport;

namespace Adef.MLNet.Tests.Data;

/// <summary>Labels CSV files: header names, quoting, and errors that name the file and the line.</summary>
public sealed class LabelsCsvTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    private string Write(string text)
    {
        string path = _temp.File("labels.csv");
        File.WriteAllText(path, text);
        return path;
    }

    [Fact]
    public void ReadsLabelIndexAndQuotedFieldsWithCommasAndQuotes()
    {
        string path = Write("path,label_index,name,note\n" +
                            "photos/a.jpg,3,\"cat, tabby\",\"x \"\"y\"\"\"\n" +
                            "\"sub/b, c.png\",7,dog,\n" +
                            "\n" +
                            "photos\\d.png , 12 ,,\n");

        IReadOnlyDictionary<string, int> labels = LabelsCsv.Read(path);

        Assert.Equal(3, labels.Count);
        Assert.Equal(3, labels["photos/a.jpg"]);
        Assert.Equal(7, labels["sub/b, c.png"]);
        Assert.Equal(12, labels["photos/d.png"]);
    }

    [Fact]
    public void HeaderNamesIgnoreCaseAndSpaces()
    {
        IReadOnlyDictionary<string, int> labels = LabelsCsv.Read(Write(" Label ,PATH\n4,x.png\n"));
        Assert.Equal(4, labels["x.png"]);
    }

    [Fact]
    public void AMalformedLineNamesTheFileAndTheLine()
    {
        string path = Write("path,label\na.png,1\n\nb.png,two\nc.png,3\n");

        var error = Assert.Throws<DataFileException>(() => LabelsCsv.Read(path));

        Assert.Contains(path, error.Message);
        Assert.Contains("line 4", error.Message);
        Assert.Equal(path, error.Path);
    }

    [Theory]
    [InlineData("path,label\na.png,-1\n", "line 2")]
    [InlineData("path,label\na.png\n", "line 2")]
    [InlineData("path,label\na.png,1\n\"b.png,2\n", "line 3")]
    public void NegativeMissingOrUnquotedFieldsAreErrorsAtTheirLine(string text, string line)
    {
        var error = Assert.Throws<DataFileException>(() => LabelsCsv.Read(Write(text)));
        Assert.Contains(line, error.Message);
    }

    [Fact]
    public void AHeaderWithoutPathOrLabelIsAnErrorListingTheColumns()
    {
        var error = Assert.Throws<DataFileException>(() => LabelsCsv.Read(Write("file,class\na.png,1\n")));
        Assert.Contains("'path'", error.Message);
        Assert.Contains("file,class", error.Message);
    }

    [Fact]
    public void AMissingFileIsADataFileException()
    {
        var error = Assert.Throws<DataFileException>(() => LabelsCsv.Read(_temp.File("nowhere.csv")));
        Assert.Contains("nowhere.csv", error.Message);
    }

    [Fact]
    public void ATargetsFileNamesItsColumnsFileAndTarget()
    {
        IReadOnlyDictionary<string, int> targets = LabelsCsv.ReadTargets(Write("target,file,note\n3,\"sub\\a, b.png\",x\n0,00001\n"));

        Assert.Equal(3, targets["sub/a, b.png"]);
        Assert.Equal(0, targets["00001"]);
        var labelsFile = Assert.Throws<DataFileException>(() => LabelsCsv.ReadTargets(Write("path,label\na.png,1\n")));
        Assert.Contains("Targets file", labelsFile.Message);
        Assert.Contains("'file' and a 'target' column", labelsFile.Message);
        var negative = Assert.Throws<DataFileException>(() => LabelsCsv.ReadTargets(Write("file,target\na.png,-2\n")));
        Assert.Contains("line 2: expected a file and a non-negative integer target", negative.Message);
    }
}
