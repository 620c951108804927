using Adef.Experiments;
using Adef.MLNet.Attacks;
using Adef.MLNet.Classifiers.TorchSharp;
using Adef.MLNet.Transforms;
using Adef.MLNet.Tests.TestSupport;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace Adef.MLNet.Tests.Transforms;

public class AttackPipelineTests
{
    public sealed class MnistRow
    {
        [VectorType(784)] public float[] Image { get; set; } = [];
        public int Id { get; set; }
        public int Target { get; set; }
    }

    public sealed class OutputRow
    {
        public int Id { get; set; }
        [VectorType(784), ColumnName("input")] public float[] AdefPixels { get; set; } = [];
        [VectorType(784)] public float[] DeepFoolPixels { get; set; } = [];
        [VectorType(784)] public float[] Perturbation { get; set; } = [];
        public int AdversarialLabel { get; set; }
        public int Iterations { get; set; }
        public double TNorm { get; set; }
        [ColumnName("logits")] public float[] Logits { get; set; } = [];
    }

    private static MnistRow[] Rows(int count)
    {
        var random = new Random(11);
        return Enumerable.Range(0, count).Select(i => new MnistRow
        {
            Image = Enumerable.Range(0, 784).Select(_ => (float)random.NextDouble()).ToArray(),
            Id = i,
            Target = (3 * i + 1) % 10,
        }).ToArray();
    }

    [Fact]
    public void SavedPipelineLoadsBackAndGivesTheSameColumns()
    {
        using var folder = new TempFolder();
        string onnx = folder.File("mnist-a.onnx");
        TorchSharp.torch.manual_seed(9);
        MnistOnnxExporter.Save(new MnistA(), onnx);
        var ml = new MLContext(seed: 1);
        IDataView data = ml.Data.LoadFromEnumerable(Rows(5));
        var adef = new AdefTransformOptions
        {
            Attack = new AdefOptions
            {
                CandidateRanks = [1, 2], MaxIterations = 20, MaxNorm = double.PositiveInfinity, Sigma = 0.5,
                BatchSize = 2, Execution = AttackExecution.Host,
            },
            OutputColumnName = "input",
        };
        var deepFool = new DeepFoolTransformOptions
        {
            Attack = new DeepFoolOptions { CandidateCount = 3, Norm = DeepFoolNorm.LInf, ClipMin = 0, ClipMax = 1 },
            OutputColumnName = "DeepFoolPixels", OriginalLabelColumnName = "DeepFoolOriginal",
            AdversarialLabelColumnName = "DeepFoolLabel", SuccessColumnName = "DeepFoolSuccess",
            IterationsColumnName = "DeepFoolIterations", PixelL2ColumnName = "DeepFoolL2", PixelLInfColumnName = "DeepFoolLInf",
            ClassNames = Enumerable.Range(0, 10).Select(d => $"digit {d}").ToArray(),
            TargetLabelColumnName = "Target",
        };
        var pipeline = ml.Transforms.CopyColumns("Pixels", "Image")
            .Append(ml.Transforms.Adef(onnx, adef))
            .Append(ml.Transforms.DeepFool(onnx, deepFool))
            .Append(ml.Transforms.ApplyOnnxModel(outputColumnNames: ["logits"], inputColumnNames: ["input"], modelFile: onnx));
        var model = pipeline.Fit(data);
        string path = folder.File("pipeline.zip");

        AttackPipeline.Save(ml, model, data.Schema, path);
        var loaded = AttackPipeline.Load(ml, path, out DataViewSchema inputSchema);

        Assert.Equal(data.Schema.Select(c => (c.Name, c.Type)), inputSchema.Select(c => (c.Name, c.Type)));
        Assert.Equal(model.Count(), loaded.Count());
        var adefLoaded = Assert.IsType<AttackTransformer<AdefTransformOptions>>(loaded.ElementAt(1));
        Assert.Equal(adef.Attack.CandidateRanks, adefLoaded.Options.Attack.CandidateRanks);
        Assert.Equal(double.PositiveInfinity, adefLoaded.Options.Attack.MaxNorm);
        Assert.Equal((2, AttackExecution.Host), // the options all attacks share (AttackOptions) travel too
            (adefLoaded.Options.Attack.BatchSize, adefLoaded.Options.Attack.Execution));
        Assert.Equal(DeepFoolNorm.LInf, Assert.IsType<AttackTransformer<DeepFoolTransformOptions>>(loaded.ElementAt(2)).Options.Attack.Norm);
        Assert.Equal(deepFool.ClassNames, Assert.IsType<AttackTransformer<DeepFoolTransformOptions>>(loaded.ElementAt(2)).Options.ClassNames);
        Assert.Equal("Target", Assert.IsType<AttackTransformer<DeepFoolTransformOptions>>(loaded.ElementAt(2)).Options.TargetLabelColumnName);
        Assert.Equal(new KeyDataViewType(typeof(uint), 10), loaded.GetOutputSchema(inputSchema)["DeepFoolLabel"].Type);
        OutputRow[] expected = ml.Data.CreateEnumerable<OutputRow>(model.Transform(data), reuseRowObject: false).ToArray();
        OutputRow[] actual = ml.Data.CreateEnumerable<OutputRow>(loaded.Transform(data), reuseRowObject: false).ToArray();
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i].Id, actual[i].Id);
            Assert.Equal(expected[i].AdefPixels, actual[i].AdefPixels);
            Assert.Equal(expected[i].DeepFoolPixels, actual[i].DeepFoolPixels);
            Assert.Equal(expected[i].Perturbation, actual[i].Perturbation);
            Assert.Equal(expected[i].AdversarialLabel, actual[i].AdversarialLabel);
            Assert.Equal(expected[i].Iterations, actual[i].Iterations);
            Assert.Equal(expected[i].TNorm, actual[i].TNorm);
            Assert.Equal(expected[i].Logits, actual[i].Logits);
        }
        foreach (IDisposable disposable in model.Concat(loaded).OfType<IDisposable>()) disposable.Dispose();
    }

    [Fact]
    public void TransformAroundAClassifierInstanceCannotBeSaved()
    {
        var ml = new MLContext(seed: 1);
        var rows = QuadrantBlobs.Generate(2, seed: 1);
        IDataView data = ml.Data.LoadFromEnumerable(Enumerable.Range(0, 2).Select(i => new AttackTransformTests.PixelRow
        {
            Pixels = rows.Pixels.AsSpan(i * 144, 144).ToArray(),
        }));
        var model = ml.Transforms.Adef(QuadrantBlobs.Classifier).Fit(data);
        using var folder = new TempFolder();

        var error = Assert.Throws<NotSupportedException>(() => AttackPipeline.Save(ml, model, data.Schema, folder.File("model.zip")));
        Assert.Contains("classifier instance", error.Message);
    }

    [Fact]
    public void AFormatOneFileKeepsItsOnnxDeviceAndAnUnknownFormatIsRefusedWithThePath()
    {
        using var folder = new TempFolder();
        var ml = new MLContext(seed: 1);
        string path = folder.File("pipeline.zip");
        File.Copy(OldFormatTests.FormatTwoFile, path);

        // Format 1 named ONNX Runtime's provider and GPU number apart; a CUDA stage must not come back on the CPU's options.
        RewriteManifest(path, manifest => manifest
            .Replace("\"FormatVersion\": 2", "\"FormatVersion\": 1")
            .Replace("\"Device\": \"cpu\"", "\"ExecutionProvider\": \"Cuda\", \"GpuDeviceId\": 1"));
        var loaded = AttackPipeline.Load(ml, path, out _);
        var adef = Assert.IsType<AttackTransformer<AdefTransformOptions>>(loaded.ElementAt(0));
        Assert.Equal(Adef.MLNet.Classifiers.ComputeDevice.CudaAt(1), adef.Options.Onnx!.Device);
        foreach (IDisposable disposable in loaded.OfType<IDisposable>()) disposable.Dispose();

        RewriteManifest(path, manifest => manifest.Replace("\"FormatVersion\": 1", "\"FormatVersion\": 7"));
        var error = Assert.Throws<DataFileException>(() => AttackPipeline.Load(ml, path, out _));
        Assert.Contains(path, error.Message);
        Assert.Contains("format version 7", error.Message);
    }

    internal static void RewriteManifest(string path, Func<string, string> rewrite)
    {
        using var zip = System.IO.Compression.ZipFile.Open(path, System.IO.Compression.ZipArchiveMode.Update);
        var entry = zip.GetEntry("manifest.json")!;
        string text;
        using (var reader = new StreamReader(entry.Open())) text = reader.ReadToEnd();
        entry.Delete();
        using var writer = new StreamWriter(zip.CreateEntry("manifest.json").Open());
        writer.Write(rewrite(text));
    }

    [Fact]
    public void LoadRefusesWhatIsNotASavedPipelineNamingTheFile()
    {
        using var folder = new TempFolder();
        var ml = new MLContext(seed: 1);
        string saved = folder.File("pipeline.zip");
        string onnx = folder.File("mnist-a.onnx");
        TorchSharp.torch.manual_seed(9);
        MnistOnnxExporter.Save(new MnistA(), onnx);
        IDataView data = ml.Data.LoadFromEnumerable(Rows(1));
        var model = ml.Transforms.CopyColumns("Pixels", "Image").Append(ml.Transforms.Adef(onnx)).Fit(data);
        AttackPipeline.Save(ml, model, data.Schema, saved);
        foreach (IDisposable disposable in model.OfType<IDisposable>()) disposable.Dispose();
        byte[] bytes = File.ReadAllBytes(saved);

        string missing = folder.File("missing.zip");
        string text = folder.File("notes.zip");
        File.WriteAllText(text, "not a zip");
        string truncated = folder.File("truncated.zip");
        File.WriteAllBytes(truncated, bytes[..(bytes.Length / 2)]);
        string foreign = folder.File("foreign.zip");
        using (var zip = System.IO.Compression.ZipFile.Open(foreign, System.IO.Compression.ZipArchiveMode.Create))
            zip.CreateEntry("readme.txt");
        string damagedStage = folder.File("damaged-stage.zip");
        File.Copy(saved, damagedStage);
        using (var zip = System.IO.Compression.ZipFile.Open(damagedStage, System.IO.Compression.ZipArchiveMode.Update))
        {
            zip.GetEntry("input-schema.zip")!.Delete();
            using var writer = new StreamWriter(zip.CreateEntry("input-schema.zip").Open());
            writer.Write("garbage");
        }

        foreach ((string path, string says) in new[]
        {
            (missing, "does not exist"), (text, "not a readable zip"), (truncated, "not a readable zip"),
            (foreign, "has no entry 'manifest.json'"), (damagedStage, "entry 'input-schema.zip' is not an ML.NET model"),
        })
        {
            var error = Assert.Throws<DataFileException>(() => AttackPipeline.Load(ml, path, out _));
            Assert.Equal(path, error.Path);
            Assert.Contains(path, error.Message);
            Assert.Contains(says, error.Message);
        }
    }
}
