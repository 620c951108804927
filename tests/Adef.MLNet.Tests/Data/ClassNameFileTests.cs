using Adef.MLNet.Data;
using Adef.MLNet.Tests.TestSupport;

namespace Adef.MLNet.Tests.Data;

public sealed class ClassNameFileTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void SynsetLinesGiveTheTextAfterTheWordNetIdAndPlainLinesStayWhole()
    {
        IReadOnlyList<string> names = ClassNameFile.Parse(
            ["n01440764 tench, Tinca tinca", "golden retriever", "  n02510455 giant panda, panda  ", "n123 not an id"]);

        Assert.Equal(["tench, Tinca tinca", "golden retriever", "giant panda, panda", "n123 not an id"], names);
    }

    [Fact]
    public void TrailingEmptyLinesAreIgnoredButAnEmptyLineBetweenNamesIsAnError()
    {
        Assert.Equal(["a", "b"], ClassNameFile.Parse(["a", "b", "", "  "]));

        var error = Assert.Throws<DataFileException>(() => ClassNameFile.Parse(["a", "", "c"], "names.txt"));
        Assert.Contains("'names.txt', line 2", error.Message);
        Assert.Throws<DataFileException>(() => ClassNameFile.Parse(["", " "]));
    }

    [Fact]
    public void ReadsAFileAndNamesAMissingOne()
    {
        string path = _temp.File("synset_words.txt");
        File.WriteAllText(path, "n01440764 tench, Tinca tinca\r\nn01443537 goldfish, Carassius auratus\r\n");

        Assert.Equal(["tench, Tinca tinca", "goldfish, Carassius auratus"], ClassNameFile.Read(path));
        Assert.Contains("does not exist", Assert.Throws<DataFileException>(() => ClassNameFile.Read(_temp.File("none.txt"))).Message);
    }

    [Fact]
    public void ALabelsCsvWithANameColumnNamesTheClassesItLabels()
    {
        string path = _temp.File("labels.csv");
        File.WriteAllText(path, "path,label_index,synset,label_name\n" +
                                "a.jpg,243,n02108422,bull mastiff\n" +
                                "b.jpg,559,n03376595,\"folding chair, chair\"\n" +
                                "c.jpg,243,n02108422,other name\n");

        IReadOnlyDictionary<int, string> names = ClassNameFile.ReadFromLabelsCsv(path);

        Assert.Equal(new Dictionary<int, string> { [243] = "bull mastiff", [559] = "folding chair, chair" }, names);
    }

    [Fact]
    public void ALabelsCsvWithoutANameColumnNamesNothing()
    {
        string path = _temp.File("labels.csv");
        File.WriteAllText(path, "path,label\na.png,3\n");

        Assert.Empty(ClassNameFile.ReadFromLabelsCsv(path));
    }
}
