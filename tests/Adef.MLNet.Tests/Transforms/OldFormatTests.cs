using Adef.MLNet.Attacks;
using Adef.MLNet.Classifiers.Onnx;
using Adef.MLNet.Tests.Onnx;
using Adef.MLNet.Tests.TestSupport;
using Adef.MLNet.Transforms;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace Adef.MLNet.Tests.Transforms;

/// <summary>
/// Files saved by AttackPipeline before format 3. Transforms/Fixtures/pipeline-format2.zip was written by the library at
/// commit df0502d (format 2): ADef (candidates [1, 2], transform batch 3, adversarial column "Adv", ONNX
/// logits named), DeepFool (candidates 3, attack batch 2, prefixed columns), then CopyColumns("AdvCopy", "Adv"), over
/// <see cref="TinyModels.Classifier"/>, fitted on the rows of <see cref="Data"/>.
/// </summary>
public class OldFormatTests
{
    internal static string FormatTwoFile => Path.Combine(AppContext.BaseDirectory, "Transforms", "Fixtures", "pipeline-format2.zip");

    public sealed class Output
    {
        public int Id { get; set; }
        [VectorType(TinyModels.ImageSize)] public float[] Pixels { get; set; } = [];
        [VectorType(TinyModels.ImageSize)] public float[] AdvCopy { get; set; } = [];
        [VectorType(TinyModels.ImageSize)] public float[] DeepFoolPixels { get; set; } = [];
        public int AdversarialLabel { get; set; }
        public int DeepFoolLabel { get; set; }
        public double TNorm { get; set; }
    }

    /// <summary>The rows the fixture's pipeline was fitted on.</summary>
    private static IDataView Data(MLContext ml) => ml.Data.LoadFromEnumerable(CatalogTests.Rows(5, seed: 3));

    [Fact]
    public void AFormatTwoFileLoadsAsTheSamePipelineBuiltToday()
    {
        using var folder = new TempFolder();
        var ml = new MLContext(seed: 1);
        IDataView data = Data(ml);
        var loaded = AttackPipeline.Load(ml, FormatTwoFile, out DataViewSchema inputSchema);

        var adef = Assert.IsType<AttackTransformer<AdefTransformOptions>>(loaded.ElementAt(0)).Options;
        Assert.Equal(("Pixels", "Adv", "logits"), (adef.InputColumnName, adef.OutputColumnName, adef.Onnx!.LogitsOutputName));
        Assert.Equal([1, 2], adef.Attack.CandidateRanks);
        Assert.Equal(3, adef.Attack.BatchSize);     // min(the transform's 3, the attack's 256): what the classifier saw per call
        var deepFool = Assert.IsType<AttackTransformer<DeepFoolTransformOptions>>(loaded.ElementAt(1)).Options;
        Assert.Equal(("Pixels", "DeepFoolPixels", 3, 2),
            (deepFool.InputColumnName, deepFool.OutputColumnName, deepFool.Attack.CandidateCount, deepFool.Attack.BatchSize));

        string onnx = CatalogTests.WriteModel(folder);
        var today = ml.Transforms.Adef(onnx, new AdefTransformOptions
            {
                Attack = new AdefOptions { CandidateRanks = [1, 2], MaxIterations = 20, Sigma = 0.5, OvershootFactor = 1.2, BatchSize = 3 },
                OutputColumnName = "Adv", Onnx = new OnnxClassifierOptions { LogitsOutputName = "logits" },
            })
            .Append(ml.Transforms.DeepFool(onnx, new DeepFoolTransformOptions
            {
                Attack = new DeepFoolOptions { CandidateCount = 3, BatchSize = 2 },
                OutputColumnName = "DeepFoolPixels", OriginalLabelColumnName = "DeepFoolOriginal", AdversarialLabelColumnName = "DeepFoolLabel",
                SuccessColumnName = "DeepFoolSuccess", OutcomeColumnName = "DeepFoolOutcome", IterationsColumnName = "DeepFoolIterations",
                PixelL2ColumnName = "DeepFoolL2", PixelLInfColumnName = "DeepFoolLInf",
            }))
            .Append(ml.Transforms.CopyColumns("AdvCopy", "Adv"))
            .Fit(data);
        Output[] expected = ml.Data.CreateEnumerable<Output>(today.Transform(data), reuseRowObject: false).ToArray();
        Output[] actual = ml.Data.CreateEnumerable<Output>(loaded.Transform(data), reuseRowObject: false).ToArray();

        Assert.Equal(data.Schema.Select(c => c.Name), inputSchema.Select(c => c.Name));
        Assert.Equal(5, actual.Length);
        Assert.Contains(actual, r => !r.AdvCopy.SequenceEqual(r.Pixels));
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i].Pixels, actual[i].Pixels);  // the input column is kept: format 2 never replaced it
            Assert.Equal(expected[i].AdvCopy, actual[i].AdvCopy);
            Assert.Equal(expected[i].DeepFoolPixels, actual[i].DeepFoolPixels);
            Assert.Equal((expected[i].AdversarialLabel, expected[i].DeepFoolLabel, expected[i].TNorm),
                (actual[i].AdversarialLabel, actual[i].DeepFoolLabel, actual[i].TNorm));
        }

        // Saved again, it is written in today's format and reads back the same.
        string resaved = folder.File("resaved.zip");
        AttackPipeline.Save(ml, loaded, inputSchema, resaved);
        var again = AttackPipeline.Load(ml, resaved, out _);
        Output[] reloaded = ml.Data.CreateEnumerable<Output>(again.Transform(data), reuseRowObject: false).ToArray();
        Assert.Equal(actual.Select(r => r.AdvCopy), reloaded.Select(r => r.AdvCopy));
        foreach (IDisposable disposable in today.Concat(loaded).Concat(again).OfType<IDisposable>()) disposable.Dispose();
    }

    // Fails if a file that saved ADef's rank-targeted switch under its old name "Targeted" loads as an untargeted attack.
    [Fact]
    public void ASwitchSavedAsTargetedLoadsAsRankTargeted()
    {
        using var folder = new TempFolder();
        var ml = new MLContext(seed: 1);
        IDataView data = Data(ml);
        var model = ml.Transforms.Adef(CatalogTests.WriteModel(folder), new AdefTransformOptions
        {
            Attack = new AdefOptions { CandidateRanks = [1, 2], RankTargeted = true },
        }).Fit(data);
        string path = folder.File("old-name.zip");
        AttackPipeline.Save(ml, model, data.Schema, path);
        using (var zip = System.IO.Compression.ZipFile.Open(path, System.IO.Compression.ZipArchiveMode.Update))
        {
            var entry = zip.GetEntry("manifest.json")!;
            string manifest;
            using (var reader = new StreamReader(entry.Open())) manifest = reader.ReadToEnd();
            Assert.Contains("\"RankTargeted\": true", manifest);
            entry.Delete();
            using var writer = new StreamWriter(zip.CreateEntry("manifest.json").Open());
            writer.Write(manifest.Replace("\"RankTargeted\"", "\"Targeted\""));
        }

        var loaded = AttackPipeline.Load(ml, path, out _);

        Assert.True(Assert.IsType<AttackTransformer<AdefTransformOptions>>(Assert.Single(loaded)).Options.Attack.RankTargeted);
        foreach (IDisposable disposable in loaded.Append(model).OfType<IDisposable>()) disposable.Dispose();
    }
}
