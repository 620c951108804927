using System.Text.Json;
using Adef.MLNet.Tests.Onnx;
using Adef.MLNet.Tests.TestSupport;
using Adef.Samples;

namespace Adef.MLNet.Tests.Samples;

/// <summary>The imagenet command on the first photos of the shared data (skipped where ../shared is absent).</summary>
[Collection(ConsoleDisplayCollection.Name)]
public class ImageNetCommandTests
{
    [SkippableFact]
    public void TwoPhotosGiveRowsForBothModelsWithSuccessesThatAreConsistent()
    {
        const string modelsPrefix = "models/";
        string model = SharedModels.Require(ImageNetCommand.Models[0].RelativePath[modelsPrefix.Length..]);
        string data = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(model)!, "..", ".."));
        using var folder = new TempFolder();

        int exit = ImageNetCommand.Create().Parse(["--data", data, "--out", folder.Path, "--limit", "2", "--batch-size", "2"]).Invoke();

        Assert.Equal(0, exit);
        using JsonDocument results = JsonDocument.Parse(File.ReadAllText(folder.File("results.json")));
        JsonElement[] models = results.RootElement.GetProperty("models").EnumerateArray().ToArray();
        Assert.Equal(ImageNetCommand.Models.Select(m => m.Name), models.Select(m => m.GetProperty("model").GetString()));
        foreach (JsonElement row in models)
        {
            Assert.Equal(2, row.GetProperty("images").GetInt32());
            JsonElement summary = row.GetProperty("summary");
            int attacked = summary.GetProperty("Attacked").GetInt32();
            Assert.Equal(attacked / 2.0, row.GetProperty("accuracy").GetDouble());
            Assert.Equal(summary.GetProperty("Fooled").GetInt32() / (double)attacked, row.GetProperty("successRate").GetDouble());
        }
        foreach (string report in new[] { "squeezenet11", "mobilenetv2" }.Where(n => File.Exists(Path.Combine(folder.Path, n, "report.md"))))
            Assert.True(File.Exists(Path.Combine(folder.Path, report, "report.html")));
        Assert.True(Directory.GetFiles(folder.Path, "report.md", SearchOption.AllDirectories).Length >= 1,
            "at least one model classified a photo correctly, so at least one report is written");
    }

    [Fact]
    public void AMissingDataFolderIsAClearErrorWithExitCode2()
    {
        using var folder = new TempFolder();
        int exit = ImageNetCommand.Create().Parse(["--data", folder.File("nowhere"), "--out", folder.Path]).Invoke();
        Assert.Equal(2, exit);
        Assert.False(File.Exists(folder.File("results.json")));
    }
}
