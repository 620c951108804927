using Adef.Experiments;
using System.Text.Json;
using Adef.MLNet.Data;
using Adef.MLNet.Tests.TestSupport;
using Adef.MLNet.Training;
using Adef.Samples;

namespace Adef.MLNet.Tests.Samples;

/// <summary>The advtrain command end to end on MNIST-A with a tiny budget and synthetic 28×28 digits, in a private cache.</summary>
[Collection(EnvironmentCollection.Name)]
public class AdvTrainCommandTests
{
    [Fact]
    public void TrainsCachesEvaluatesAndResumesTheAdversarialModels()
    {
        using var cache = new TempFolder();
        using var output = new TempFolder();
        using var environment = new EnvironmentVariableScope(DataCache.EnvironmentVariable, cache.Path);
        LabeledImages train = Squares(30, seed: 1), test = Squares(4, seed: 2);
        var settings = new AdvTrainCommand.Settings(Epochs: 1, TrainImages: 10, TestImages: 4, Output: output.Path, CleanEpochs: 1,
            CleanImagesPerEpoch: 10, Architectures: new[] { "MNIST-A" });

        IReadOnlyList<AdvTrainCommand.Row> rows = AdvTrainCommand.Run(settings, train, test);

        Assert.Equal(new[] { "None", "Pgd", "Adef" }, rows.Select(r => r.AdversarialTraining));
        Assert.All(rows, r =>
        {
            Assert.Equal("MNIST-A", r.Model);
            Assert.InRange(r.Accuracy, 0, 1);
            Assert.Equal(4, r.Pgd.Images);
            Assert.Equal(4, r.Adef.Images);
        });
        Assert.Equal((0.9836, 0.0581, 0.0667), (rows[1].PaperAccuracy, rows[1].PaperPgdSuccess, rows[1].PaperAdefSuccess));
        Assert.Null(rows[0].PaperAccuracy);
        string models = Path.Combine(cache.Path, "models");
        byte[] clean = File.ReadAllBytes(Path.Combine(models, "mnist-a-seed0.weights"));
        byte[] pgd = File.ReadAllBytes(Path.Combine(models, "mnist-a-pgd-seed0.weights"));
        Assert.True(File.Exists(Path.Combine(models, "mnist-a-adef-seed0.weights")));
        Assert.NotEqual(clean, pgd);
        using (JsonDocument checkpoint = JsonDocument.Parse(File.ReadAllText(Path.Combine(models, "mnist-a-pgd-seed0.json"))))
        {
            Assert.Equal("Pgd", checkpoint.RootElement.GetProperty("Method").GetString());
            Assert.Equal(1, checkpoint.RootElement.GetProperty("EpochsCompleted").GetInt32());
            Assert.Equal("mnist-a-seed0 after 1 epochs", checkpoint.RootElement.GetProperty("StartedFrom").GetString());
            Assert.Equal(0.001, checkpoint.RootElement.GetProperty("LearningRate").GetDouble());
            Assert.Equal("ε 0.3, 10 × 0.04", checkpoint.RootElement.GetProperty("TrainingPgd").GetString());
        }
        using (JsonDocument checkpoint = JsonDocument.Parse(File.ReadAllText(Path.Combine(models, "mnist-a-adef-seed0.json"))))
        {
            Assert.Equal(0.0001, checkpoint.RootElement.GetProperty("LearningRate").GetDouble());
            Assert.Equal(JsonValueKind.Null, checkpoint.RootElement.GetProperty("TrainingPgd").ValueKind);
        }
        using (JsonDocument results = JsonDocument.Parse(File.ReadAllText(Path.Combine(output.Path, "results.json"))))
        {
            Assert.Equal(3, results.RootElement.GetProperty("models").GetArrayLength());
            Assert.Equal(10, results.RootElement.GetProperty("pgdTraining").GetProperty("imagesPerEpoch").GetInt32());
            Assert.Equal(10, results.RootElement.GetProperty("trainingPgd").GetProperty("Steps").GetInt32());
        }

        // The same budget again reuses every cached model; one more epoch resumes the adversarial ones from their checkpoints.
        AdvTrainCommand.Run(settings, train, test);
        Assert.Equal(pgd, File.ReadAllBytes(Path.Combine(models, "mnist-a-pgd-seed0.weights")));
        AdvTrainCommand.Run(settings with { Epochs = 2 }, train, test);
        Assert.Equal(clean, File.ReadAllBytes(Path.Combine(models, "mnist-a-seed0.weights")));
        Assert.NotEqual(pgd, File.ReadAllBytes(Path.Combine(models, "mnist-a-pgd-seed0.weights")));
        using JsonDocument resumed = JsonDocument.Parse(File.ReadAllText(Path.Combine(models, "mnist-a-pgd-seed0.json")));
        Assert.Equal(2, resumed.RootElement.GetProperty("EpochsCompleted").GetInt32());
        using JsonDocument twoEpochs = JsonDocument.Parse(File.ReadAllText(Path.Combine(output.Path, "results.json")));
        Assert.Equal(1, twoEpochs.RootElement.GetProperty("pgdTraining").GetProperty("finalEpochsAtTenthRate").GetInt32()); // PGD's last epoch at 1e-4
        Assert.Equal(0, twoEpochs.RootElement.GetProperty("adefTraining").GetProperty("finalEpochsAtTenthRate").GetInt32());
    }

    [Fact]
    public void AnotherTrainingPgdRetrainsThePgdModelInsteadOfReusingIt()
    {
        using var cache = new TempFolder();
        using var output = new TempFolder();
        using var environment = new EnvironmentVariableScope(DataCache.EnvironmentVariable, cache.Path);
        AdvTrainCommand.Settings settings = TinyMnistA(output.Path) with { Methods = new[] { AdversarialTraining.Pgd } };
        string checkpointPath = Path.Combine(cache.Path, "models", "mnist-a-pgd-seed0.json");

        RunTiny(settings);
        byte[] tenSteps = File.ReadAllBytes(Path.ChangeExtension(checkpointPath, ".weights"));
        RunTiny(settings with { PgdTrainSteps = 40 });

        Assert.NotEqual(tenSteps, File.ReadAllBytes(Path.ChangeExtension(checkpointPath, ".weights")));
        using JsonDocument checkpoint = JsonDocument.Parse(File.ReadAllText(checkpointPath));
        Assert.Equal("ε 0.3, 40 × 0.01", checkpoint.RootElement.GetProperty("TrainingPgd").GetString());
        Assert.Equal(1, checkpoint.RootElement.GetProperty("EpochsCompleted").GetInt32());
    }

    [Fact]
    public void CleanOnlyTrainsAndEvaluatesTheCleanModelAndNoAdversarialOne()
    {
        using var cache = new TempFolder();
        using var output = new TempFolder();
        using var environment = new EnvironmentVariableScope(DataCache.EnvironmentVariable, cache.Path);
        IReadOnlyList<AdvTrainCommand.Row> rows = RunTiny(TinyMnistA(output.Path) with { CleanOnly = true });

        Assert.Equal("None", Assert.Single(rows).AdversarialTraining);
        string models = Path.Combine(cache.Path, "models");
        Assert.True(File.Exists(Path.Combine(models, "mnist-a-seed0.weights")));
        Assert.Empty(Directory.GetFiles(models, "mnist-a-*-seed0.*"));
    }

    [Fact]
    public void MethodsRestrictTheAdversarialModelsTrained()
    {
        using var cache = new TempFolder();
        using var output = new TempFolder();
        using var environment = new EnvironmentVariableScope(DataCache.EnvironmentVariable, cache.Path);
        IReadOnlyList<AdvTrainCommand.Row> rows = RunTiny(TinyMnistA(output.Path) with { Methods = new[] { AdversarialTraining.Pgd } });

        Assert.Equal(new[] { "None", "Pgd" }, rows.Select(r => r.AdversarialTraining));
        string models = Path.Combine(cache.Path, "models");
        Assert.True(File.Exists(Path.Combine(models, "mnist-a-pgd-seed0.weights")));
        Assert.False(File.Exists(Path.Combine(models, "mnist-a-adef-seed0.weights")));
        using JsonDocument results = JsonDocument.Parse(File.ReadAllText(Path.Combine(output.Path, "results.json")));
        Assert.Equal("cpu", results.RootElement.GetProperty("device").GetString());
    }

    /// <summary>MNIST-A only, one epoch of 10 images for every model, 4 test digits.</summary>
    private static AdvTrainCommand.Settings TinyMnistA(string output) => new(Epochs: 1, TrainImages: 10, TestImages: 4, Output: output,
        CleanEpochs: 1, CleanImagesPerEpoch: 10, Architectures: new[] { "MNIST-A" });

    private static IReadOnlyList<AdvTrainCommand.Row> RunTiny(AdvTrainCommand.Settings settings) =>
        AdvTrainCommand.Run(settings, Squares(20, seed: 1), Squares(4, seed: 2));

    /// <summary>28×28 images of one bright 6×6 square whose position (a 5×2 grid) is the class, plus faint noise.</summary>
    private static LabeledImages Squares(int count, int seed)
    {
        var random = new Random(seed);
        var pixels = new float[count * 784];
        var labels = new int[count];
        for (int i = 0; i < count; i++)
        {
            int label = labels[i] = i % 10;
            int top = 4 + 12 * (label / 5), left = 1 + 5 * (label % 5);
            for (int p = 0; p < 784; p++) pixels[i * 784 + p] = (float)(0.1 * random.NextDouble());
            for (int y = top; y < top + 6; y++)
                for (int x = left; x < left + 6; x++)
                    pixels[i * 784 + y * 28 + x] = 1;
        }
        return new LabeledImages(pixels, labels, 1, 28, 28);
    }
}
