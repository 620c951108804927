using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Adef.MLNet.Transforms;

/// <summary>
/// The manifest of a file written by <see cref="AttackPipeline.Save"/>: the pipeline's stages in order, each an ML.NET segment
/// or an attack transform with its options. Reads every format written so far, bringing older ones up to the current one.
/// </summary>
internal sealed class AttackPipelineManifest
{
    public const string EntryName = "manifest.json";

    /// <summary>
    /// The format written: 3 keeps each attack's input column, output column and ONNX loading options in its transform
    /// options and has one batch size (the attack's). 2 kept the input column and ONNX options beside the options and a
    /// second batch size in them, and named ADef's and DeepFool's candidate settings alike; 1 also named an ONNX stage's
    /// execution provider and GPU number apart. Both are still read.
    /// </summary>
    public const int CurrentFormat = 3;

    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Converters = { new JsonStringEnumConverter() },
    };

    public int FormatVersion { get; set; } = CurrentFormat;

    public List<Stage> Stages { get; set; } = [];

    public void Write(Stream stream) => JsonSerializer.Serialize(stream, this, Json);

    /// <summary>Reads a manifest of format 1, 2 or 3, naming the file when it is none of them.</summary>
    public static AttackPipelineManifest Read(byte[] bytes, string path)
    {
        try
        {
            JsonNode root = JsonNode.Parse(bytes) ?? throw new DataFileException($"'{path}': {EntryName} is empty.", path);
            int version = root["FormatVersion"]?.GetValue<int>() ?? 0;
            if (version is < 1 or > CurrentFormat)
                throw new DataFileException($"'{path}' has format version {version}; this library reads versions 1 to {CurrentFormat}.", path);
            if (version == 1) FromFormat1(root);
            if (version <= 2) FromFormat2(root);
            RankTargetedRenamed(root);
            return root.Deserialize<AttackPipelineManifest>(Json) ?? throw new DataFileException($"'{path}': {EntryName} is empty.", path);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            throw new DataFileException($"'{path}': {EntryName} is not a manifest written by AttackPipeline.Save ({e.Message}).", path, e);
        }
    }

    /// <summary>Format 1 stored ONNX Runtime's provider and GPU number apart; they become the one device of format 2.</summary>
    private static void FromFormat1(JsonNode root)
    {
        foreach (JsonNode? onnx in root["Stages"]?.AsArray().Select(stage => stage?["OnnxOptions"]) ?? [])
            if (onnx is JsonObject options && options["ExecutionProvider"]?.GetValue<string>() == "Cuda")
                options["Device"] = options["GpuDeviceId"]?.GetValue<int?>() is int gpu ? $"cuda:{gpu}" : "cuda";
    }

    /// <summary>Format 2's attack stages, as format 3 says the same: the stage's input column and ONNX options move into the
    /// transform options, the adversarial column keeps its name, and the one batch size is the smaller of the two, which is
    /// what the classifier saw per call before.</summary>
    private static void FromFormat2(JsonNode root)
    {
        foreach (JsonNode? stage in root["Stages"]?.AsArray() ?? [])
        {
            (string key, string candidates) = stage?["Kind"]?.GetValue<string>() switch
            {
                "Adef" => ("AdefOptions", "CandidateRanks"),
                "DeepFool" => ("DeepFoolOptions", "CandidateCount"),
                _ => ("", ""),
            };
            if (stage?[key] is not JsonObject options) continue;
            options["InputColumnName"] = stage["InputColumnName"]?.DeepClone();
            options["OutputColumnName"] = options["AdversarialPixelsColumnName"]?.DeepClone() ?? "AdversarialPixels";
            options["Onnx"] = stage["OnnxOptions"]?.DeepClone();
            if (options["Attack"] is JsonObject attack)
            {
                int rows = options["BatchSize"]?.GetValue<int>() ?? 64, perCall = attack["BatchSize"]?.GetValue<int>() ?? 256;
                attack["BatchSize"] = Math.Min(rows, perCall);
                if (attack["Candidates"] is { } value) attack[candidates] = value.DeepClone();
                attack.Remove("Candidates");
            }
            options.Remove("AdversarialPixelsColumnName");
            options.Remove("BatchSize");
        }
    }

    /// <summary>ADef's rank-targeted switch was saved as <c>Targeted</c> before it became <c>RankTargeted</c> (targets per
    /// row came in as a column); read under the old name it would be dropped without a word, making the attack untargeted.</summary>
    private static void RankTargetedRenamed(JsonNode root)
    {
        foreach (JsonNode? stage in root["Stages"]?.AsArray() ?? [])
            if (stage?["AdefOptions"]?["Attack"] is JsonObject attack && attack["Targeted"] is { } targeted)
            {
                attack["RankTargeted"] = targeted.DeepClone();
                attack.Remove("Targeted");
            }
    }

    public enum StageKind
    {
        MLNet,
        Adef,
        DeepFool,
        Pgd,
    }

    /// <summary>One stage: an ML.NET segment (<see cref="Entry"/> is its model) or an attack (<see cref="Entry"/> is its ONNX model).</summary>
    public sealed class Stage
    {
        public StageKind Kind { get; set; }
        public string Entry { get; set; } = "";
        public AdefTransformOptions? AdefOptions { get; set; }
        public DeepFoolTransformOptions? DeepFoolOptions { get; set; }
        public PgdTransformOptions? PgdOptions { get; set; }

        /// <summary>The stage of an attack transform with <paramref name="options"/>.</summary>
        public static Stage ForAttack(string entry, AttackTransformOptions options) => options switch
        {
            AdefTransformOptions adef => new() { Kind = StageKind.Adef, Entry = entry, AdefOptions = adef },
            DeepFoolTransformOptions deepFool => new() { Kind = StageKind.DeepFool, Entry = entry, DeepFoolOptions = deepFool },
            PgdTransformOptions pgd => new() { Kind = StageKind.Pgd, Entry = entry, PgdOptions = pgd },
            _ => throw new NotSupportedException($"The {options.AttackName} transform cannot be saved."),
        };
    }
}
