using System.IO.Compression;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Adef.MLNet.Classifiers.Onnx;
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
/// created from an ONNX file (<c>mlContext.Transforms.Adef(onnxModelPath, ...)</c>); a transform built
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
    private const string ManifestEntry = "manifest.json";
    private const string InputSchemaEntry = "input-schema.zip";
    /// <summary>The manifest's format: 2 names each ONNX stage's device as one text ("cuda:1"); 1 named its execution
    /// provider and GPU number apart, and is still read.</summary>
    private const int FormatVersion = 2;

    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Converters = { new JsonStringEnumConverter() },
    };

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
            if (AttackStage(transformer) is { Source: null } attack)
                throw new NotSupportedException(
                    $"The {attack.Options.AttackName} transform was created around a classifier instance, which cannot be saved. " +
                    "Create it from an ONNX file (mlContext.Transforms.Adef(onnxModelPath, onnxOptions, ...)) to save the pipeline.");

        using var file = File.Create(path);
        using var zip = new ZipArchive(file, ZipArchiveMode.Create);
        WriteEntry(zip, InputSchemaEntry, stream => mlContext.Model.Save(new TransformerChain<ITransformer>(), inputSchema, stream));

        var stages = new List<Stage>();
        DataViewSchema schema = inputSchema;
        var segment = new List<ITransformer>();
        DataViewSchema segmentSchema = schema;
        void FlushSegment()
        {
            if (segment.Count == 0) return;
            string entry = $"stage-{stages.Count}.zip";
            var chain = new TransformerChain<ITransformer>(segment.ToArray());
            DataViewSchema chainSchema = segmentSchema;
            WriteEntry(zip, entry, stream => mlContext.Model.Save(chain, chainSchema, stream));
            stages.Add(new Stage { Kind = StageKind.MLNet, Entry = entry });
            segment.Clear();
        }

        foreach (ITransformer transformer in transformers)
        {
            if (AttackStage(transformer) is { Source: { } source } attack)
            {
                FlushSegment();
                string entry = $"stage-{stages.Count}.onnx";
                var stage = new Stage { Entry = entry, InputColumnName = attack.InputColumnName, OnnxOptions = source.Options };
                switch (attack.Options)
                {
                    case AdefTransformOptions adef:
                        (stage.Kind, stage.AdefOptions) = (StageKind.Adef, adef);
                        break;
                    case DeepFoolTransformOptions deepFool:
                        (stage.Kind, stage.DeepFoolOptions) = (StageKind.DeepFool, deepFool);
                        break;
                    default:
                        throw new NotSupportedException($"The {attack.Options.AttackName} transform cannot be saved yet.");
                }
                WriteEntry(zip, entry, stream => stream.Write(source.Model));
                stages.Add(stage);
            }
            else
            {
                if (segment.Count == 0) segmentSchema = schema;
                segment.Add(transformer);
            }
            schema = transformer.GetOutputSchema(schema);
        }
        FlushSegment();
        var manifest = new Manifest { FormatVersion = FormatVersion, Stages = stages };
        WriteEntry(zip, ManifestEntry, stream => JsonSerializer.Serialize(stream, manifest, Json));
    }

    /// <summary>Loads a pipeline saved by <see cref="Save"/>.</summary>
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
        Manifest manifest = ReadManifest(ReadEntry(zip, path, ManifestEntry), path);
        inputSchema = LoadMLNet(mlContext, ReadEntry(zip, path, InputSchemaEntry), path, InputSchemaEntry).Schema;

        var transformers = new List<ITransformer>();
        foreach (Stage stage in manifest.Stages)
        {
            byte[] bytes = ReadEntry(zip, path, stage.Entry);
            switch (stage.Kind)
            {
                case StageKind.MLNet:
                    transformers.AddRange(Flatten(LoadMLNet(mlContext, bytes, path, stage.Entry).Model));
                    break;
                case StageKind.Adef:
                    transformers.Add(LoadAttack(bytes, stage, stage.AdefOptions ?? throw Missing(path, "AdefOptions"), path));
                    break;
                case StageKind.DeepFool:
                    transformers.Add(LoadAttack(bytes, stage, stage.DeepFoolOptions ?? throw Missing(path, "DeepFoolOptions"), path));
                    break;
                default:
                    throw new DataFileException($"'{path}': unknown stage kind '{stage.Kind}'.", path);
            }
        }
        return new TransformerChain<ITransformer>(transformers.ToArray());
    }

    /// <summary>What saving needs of an attack transform, whatever its options type; null for any other transformer.</summary>
    private static (AttackTransformOptions Options, string InputColumnName, OnnxSource? Source)? AttackStage(ITransformer transformer) => transformer switch
    {
        AttackTransformer<AdefTransformOptions> adef => (adef.Options, adef.InputColumnName, adef.OnnxSource),
        AttackTransformer<DeepFoolTransformOptions> deepFool => (deepFool.Options, deepFool.InputColumnName, deepFool.OnnxSource),
        _ => null,
    };

    private static AttackTransformer<TOptions> LoadAttack<TOptions>(byte[] onnx, Stage stage, TOptions options, string path)
        where TOptions : AttackTransformOptions, new()
    {
        return AttackEstimator<TOptions>.FromOnnx(null, onnx, stage.OnnxOptions, Required(stage.InputColumnName, path), options).CreateTransformer();
    }

    /// <summary>Reads the manifest of format 1 or 2, naming the file when it is neither.</summary>
    private static Manifest ReadManifest(byte[] bytes, string path)
    {
        try
        {
            JsonNode root = JsonNode.Parse(bytes) ?? throw new DataFileException($"'{path}': {ManifestEntry} is empty.", path);
            int version = root["FormatVersion"]?.GetValue<int>() ?? 0;
            if (version == 1)
            {
                // Format 1 stored ONNX Runtime's provider and GPU number apart; they become the one device of format 2.
                foreach (JsonNode? onnx in root["Stages"]?.AsArray().Select(stage => stage?["OnnxOptions"]) ?? [])
                    if (onnx is JsonObject options && options["ExecutionProvider"]?.GetValue<string>() == "Cuda")
                        options["Device"] = options["GpuDeviceId"]?.GetValue<int?>() is int gpu ? $"cuda:{gpu}" : "cuda";
            }
            else if (version != FormatVersion)
            {
                throw new DataFileException($"'{path}' has format version {version}; this library reads versions 1 and {FormatVersion}.", path);
            }
            return root.Deserialize<Manifest>(Json) ?? throw new DataFileException($"'{path}': {ManifestEntry} is empty.", path);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            throw new DataFileException($"'{path}': {ManifestEntry} is not a manifest written by AttackPipeline.Save ({e.Message}).", path, e);
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

    private static string Required(string? value, string path) => value ?? throw Missing(path, "InputColumnName");

    private static DataFileException Missing(string path, string what) =>
        new($"'{path}': a stage in {ManifestEntry} lacks {what}.", path);

    private enum StageKind
    {
        MLNet,
        Adef,
        DeepFool,
    }

    private sealed class Stage
    {
        public StageKind Kind { get; set; }
        public string Entry { get; set; } = "";
        public string? InputColumnName { get; set; }
        public AdefTransformOptions? AdefOptions { get; set; }
        public DeepFoolTransformOptions? DeepFoolOptions { get; set; }
        public OnnxClassifierOptions? OnnxOptions { get; set; }
    }

    private sealed class Manifest
    {
        public int FormatVersion { get; set; }
        public List<Stage> Stages { get; set; } = [];
    }
}
