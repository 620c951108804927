using System.IO.Compression;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace Adef.MLNet.Transforms;

/// <summary>
/// Saves and loads fitted pipelines that contain attack transforms (<see cref="AttackTransformer{TOptions}"/>), which plain
/// <c>MLContext.Model.Save</c> cannot persist.
/// </summary>
/// <remarks>
/// The file is one zip: the ML.NET segments of the pipeline, each saved with
/// <c>MLContext.Model.Save</c> as an entry, and for each attack transform its options (JSON) and its
/// ONNX model bytes. <see cref="Load"/> rebuilds the same chain. Attack transforms must have been
/// created from an ONNX file (<c>mlContext.Transforms.Adef(onnxModelPath, ...)</c>, likewise <c>DeepFool</c> and <c>Pgd</c>); a transform built
/// around a classifier instance cannot be saved, since the instance (e.g. a TorchSharp module) cannot
/// be stored faithfully.
/// </remarks>
/// <example>
/// <code>
/// AttackPipeline.Save(mlContext, model, data.Schema, "attack.zip");
/// ITransformer loaded = AttackPipeline.Load(mlContext, "attack.zip", out DataViewSchema inputSchema);
/// </code>
/// </example>
public static class AttackPipeline
{
    private const string InputSchemaEntry = "input-schema.zip";

    /// <summary>Saves <paramref name="model"/> (a transformer or a <c>TransformerChain</c>) with the schema of the data it was fitted on.</summary>
    /// <param name="mlContext">The ML.NET context.</param>
    /// <param name="model">The fitted pipeline.</param>
    /// <param name="inputSchema">The schema of the data the pipeline takes.</param>
    /// <param name="path">The zip file to write (overwritten).</param>
    /// <exception cref="NotSupportedException">An attack transform was created around a classifier instance rather than an ONNX file.</exception>
    public static void Save(MLContext mlContext, ITransformer model, DataViewSchema inputSchema, string path)
    {
        ArgumentNullException.ThrowIfNull(mlContext);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(inputSchema);
        ArgumentException.ThrowIfNullOrWhiteSpace(path);

        List<ITransformer> transformers = Flatten(model).ToList();
        foreach (ITransformer transformer in transformers)
            if (AttackStage(transformer) is { Model: null } attack)
                throw new NotSupportedException(
                    $"The {attack.Options.AttackName} transform was created around a classifier instance, which cannot be saved. " +
                    $"Create it from an ONNX file (mlContext.Transforms.{attack.Options.AttackName}(onnxModelPath, ...)) to save the pipeline.");

        using var file = File.Create(path);
        using var zip = new ZipArchive(file, ZipArchiveMode.Create);
        WriteEntry(zip, InputSchemaEntry, stream => mlContext.Model.Save(new TransformerChain<ITransformer>(), inputSchema, stream));

        var manifest = new AttackPipelineManifest();
        DataViewSchema schema = inputSchema;
        var segment = new List<ITransformer>();
        DataViewSchema segmentSchema = schema;
        void FlushSegment()
        {
            if (segment.Count == 0) return;
            string entry = $"stage-{manifest.Stages.Count}.zip";
            var chain = new TransformerChain<ITransformer>(segment.ToArray());
            DataViewSchema chainSchema = segmentSchema;
            WriteEntry(zip, entry, stream => mlContext.Model.Save(chain, chainSchema, stream));
            manifest.Stages.Add(new AttackPipelineManifest.Stage { Kind = AttackPipelineManifest.StageKind.MLNet, Entry = entry });
            segment.Clear();
        }

        foreach (ITransformer transformer in transformers)
        {
            if (AttackStage(transformer) is { Model: { } onnx } attack)
            {
                FlushSegment();
                string entry = $"stage-{manifest.Stages.Count}.onnx";
                manifest.Stages.Add(AttackPipelineManifest.Stage.ForAttack(entry, attack.Options));
                WriteEntry(zip, entry, stream => stream.Write(onnx));
            }
            else
            {
                if (segment.Count == 0) segmentSchema = schema;
                segment.Add(transformer);
            }
            schema = transformer.GetOutputSchema(schema);
        }
        FlushSegment();
        WriteEntry(zip, AttackPipelineManifest.EntryName, manifest.Write);
    }

    /// <summary>Loads a pipeline saved by <see cref="Save"/>, in this version's format or an earlier one.</summary>
    /// <param name="mlContext">The ML.NET context.</param>
    /// <param name="path">The zip file written by <see cref="Save"/>.</param>
    /// <param name="inputSchema">Receives the schema of the data the pipeline takes.</param>
    /// <returns>A <c>TransformerChain</c> equivalent to the saved pipeline. Its attack transformers own their ONNX sessions: dispose them (they are <see cref="IDisposable"/>) when done.</returns>
    /// <exception cref="DataFileException">The file does not exist, is not a zip file, is damaged, or is not a pipeline saved by
    /// <see cref="Save"/>; the message names the file (and the entry).</exception>
    public static TransformerChain<ITransformer> Load(MLContext mlContext, string path, out DataViewSchema inputSchema)
    {
        ArgumentNullException.ThrowIfNull(mlContext);
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        using ZipArchive zip = OpenZip(path);
        AttackPipelineManifest manifest = AttackPipelineManifest.Read(ReadEntry(zip, path, AttackPipelineManifest.EntryName), path);
        inputSchema = LoadMLNet(mlContext, ReadEntry(zip, path, InputSchemaEntry), path, InputSchemaEntry).Schema;

        var transformers = new List<ITransformer>();
        foreach (AttackPipelineManifest.Stage stage in manifest.Stages)
        {
            byte[] bytes = ReadEntry(zip, path, stage.Entry);
            ITransformer loaded = stage.Kind switch
            {
                AttackPipelineManifest.StageKind.MLNet => LoadMLNet(mlContext, bytes, path, stage.Entry).Model,
                AttackPipelineManifest.StageKind.Adef => LoadAttack(bytes, stage.AdefOptions, path, stage.Entry),
                AttackPipelineManifest.StageKind.DeepFool => LoadAttack(bytes, stage.DeepFoolOptions, path, stage.Entry),
                AttackPipelineManifest.StageKind.Pgd => LoadAttack(bytes, stage.PgdOptions, path, stage.Entry),
                _ => throw new DataFileException($"'{path}': unknown stage kind '{stage.Kind}'.", path),
            };
            transformers.AddRange(Flatten(loaded));
        }
        return new TransformerChain<ITransformer>(transformers.ToArray());
    }

    /// <summary>What saving needs of an attack transform, whatever its options type; null for any other transformer.</summary>
    private static (AttackTransformOptions Options, byte[]? Model)? AttackStage(ITransformer transformer) => transformer switch
    {
        AttackTransformer<AdefTransformOptions> adef => (adef.Options, adef.OnnxModel),
        AttackTransformer<DeepFoolTransformOptions> deepFool => (deepFool.Options, deepFool.OnnxModel),
        AttackTransformer<PgdTransformOptions> pgd => (pgd.Options, pgd.OnnxModel),
        _ => null,
    };

    /// <summary>An attack stage; options the library refuses (a hand-edited manifest) are reported naming the file and the entry.</summary>
    private static AttackTransformer<TOptions> LoadAttack<TOptions>(byte[] onnx, TOptions? options, string path, string entry)
        where TOptions : AttackTransformOptions
    {
        if (options is null)
            throw new DataFileException($"'{path}': the stage of entry '{entry}' in {AttackPipelineManifest.EntryName} lacks its options.", path);
        try
        {
            return AttackEstimator<TOptions>.FromOnnx(null, onnx, options).CreateTransformer();
        }
        catch (ArgumentException e)
        {
            throw new DataFileException($"'{path}': the options of the {options.AttackName} stage '{entry}' are refused ({e.Message}).", path, e);
        }
    }

    private static IEnumerable<ITransformer> Flatten(ITransformer model) =>
        model is IEnumerable<ITransformer> chain ? chain.SelectMany(Flatten) : [model];

    private static void WriteEntry(ZipArchive zip, string name, Action<Stream> write)
    {
        using Stream stream = zip.CreateEntry(name).Open();
        write(stream);
    }

    private static ZipArchive OpenZip(string path)
    {
        try
        {
            return ZipFile.OpenRead(path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new DataFileException($"'{path}' does not exist.", path, e);
        }
        catch (InvalidDataException e)
        {
            throw new DataFileException($"'{path}' is not a pipeline saved by AttackPipeline.Save: it is not a readable zip file ({e.Message}).", path, e);
        }
    }

    private static byte[] ReadEntry(ZipArchive zip, string path, string name)
    {
        ZipArchiveEntry entry = zip.GetEntry(name)
            ?? throw new DataFileException($"'{path}' has no entry '{name}'; it was not written by AttackPipeline.Save.", path);
        try
        {
            using Stream stream = entry.Open();
            using var memory = new MemoryStream();
            stream.CopyTo(memory);
            return memory.ToArray();
        }
        catch (InvalidDataException e)
        {
            throw new DataFileException($"'{path}': entry '{name}' is damaged ({e.Message}).", path, e);
        }
    }

    /// <summary>An ML.NET model saved as an entry; a damaged one is reported naming the file and the entry.</summary>
    private static (ITransformer Model, DataViewSchema Schema) LoadMLNet(MLContext mlContext, byte[] bytes, string path, string entry)
    {
        try
        {
            ITransformer model = mlContext.Model.Load(new MemoryStream(bytes), out DataViewSchema schema);
            return (model, schema);
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException or InvalidDataException or EndOfStreamException)
        {
            throw new DataFileException($"'{path}': entry '{entry}' is not an ML.NET model ({e.Message}).", path, e);
        }
    }
}
