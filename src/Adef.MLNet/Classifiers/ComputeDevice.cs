using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Adef.MLNet.Classifiers;

/// <summary>The kind of device a classifier computes on.</summary>
public enum ComputeDeviceKind
{
    /// <summary>The host CPU.</summary>
    Cpu,

    /// <summary>An NVIDIA GPU through CUDA.</summary>
    Cuda,
}

/// <summary>
/// Where a classifier runs its model, and with it the attacks on it: <c>cpu</c>, <c>cuda</c> (the first GPU) or
/// <c>cuda:N</c>. The one vocabulary for placement across the library: <see cref="IDifferentiableClassifier.Device"/> says
/// where a classifier runs, <c>OnnxClassifierOptions.Device</c> chooses ONNX Runtime's execution provider, the
/// TorchSharp classifiers take it, the ML.NET transforms check it, and the command line parses it from the same text.
/// </summary>
/// <remarks>Serialised to JSON as its text (<c>"cuda:1"</c>).</remarks>
[JsonConverter(typeof(ComputeDeviceJsonConverter))]
public readonly record struct ComputeDevice
{
    private ComputeDevice(ComputeDeviceKind kind, int? index)
    {
        Kind = kind;
        Index = index;
    }

    /// <summary>CPU or CUDA.</summary>
    public ComputeDeviceKind Kind { get; }

    /// <summary>The GPU ordinal for <c>cuda:N</c>; <see langword="null"/> for <c>cpu</c> and for plain <c>cuda</c> (GPU 0).</summary>
    public int? Index { get; }

    /// <summary>The GPU ordinal to use: <see cref="Index"/>, or 0 for plain <c>cuda</c>.</summary>
    public int GpuOrdinal => Index ?? 0;

    /// <summary>Whether this is a GPU.</summary>
    public bool IsGpu => Kind == ComputeDeviceKind.Cuda;

    /// <summary>The host CPU (the default).</summary>
    public static ComputeDevice Cpu { get; } = new(ComputeDeviceKind.Cpu, null);

    /// <summary>The first CUDA GPU.</summary>
    public static ComputeDevice Cuda { get; } = new(ComputeDeviceKind.Cuda, null);

    /// <summary>CUDA GPU number <paramref name="index"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="index"/> is negative.</exception>
    public static ComputeDevice CudaAt(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        return new ComputeDevice(ComputeDeviceKind.Cuda, index);
    }

    /// <summary>
    /// Whether a classifier on <paramref name="actual"/> satisfies a request for this device: the same kind and, for
    /// <c>cuda:N</c>, the same GPU (plain <c>cuda</c> accepts any GPU).
    /// </summary>
    public bool Accepts(ComputeDevice actual) =>
        Kind == actual.Kind && (Kind == ComputeDeviceKind.Cpu || Index is null || Index == actual.GpuOrdinal);

    /// <summary>Parses <c>cpu</c>, <c>cuda</c> or <c>cuda:N</c> (case-insensitive, surrounding spaces ignored).</summary>
    /// <exception cref="FormatException">The text is none of these; the message lists the accepted forms.</exception>
    public static ComputeDevice Parse(string text) =>
        TryParse(text, out ComputeDevice device)
            ? device
            : throw new FormatException($"'{text}' is not a device; expected cpu, cuda or cuda:N (N = 0, 1, … the GPU number).");

    /// <summary>Parses like <see cref="Parse"/>, returning false instead of throwing.</summary>
    public static bool TryParse(string? text, out ComputeDevice device)
    {
        device = Cpu;
        string value = text?.Trim().ToLowerInvariant() ?? "";
        if (value == "cpu") return true;
        if (value == "cuda")
        {
            device = Cuda;
            return true;
        }
        if (value.StartsWith("cuda:", StringComparison.Ordinal)
            && int.TryParse(value.AsSpan(5), NumberStyles.None, CultureInfo.InvariantCulture, out int index))
        {
            device = CudaAt(index);
            return true;
        }
        return false;
    }

    /// <summary><c>cpu</c>, <c>cuda</c> or <c>cuda:N</c>: the text <see cref="Parse"/> reads.</summary>
    public override string ToString() => Kind == ComputeDeviceKind.Cpu ? "cpu" : Index is { } i ? $"cuda:{i}" : "cuda";
}

/// <summary>Reads and writes a <see cref="ComputeDevice"/> as its text.</summary>
internal sealed class ComputeDeviceJsonConverter : JsonConverter<ComputeDevice>
{
    public override ComputeDevice Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        string? text = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
        return ComputeDevice.TryParse(text, out ComputeDevice device)
            ? device
            : throw new JsonException($"Expected a device (\"cpu\", \"cuda\" or \"cuda:N\"), got {(text is null ? reader.TokenType.ToString() : $"'{text}'")}.");
    }

    public override void Write(Utf8JsonWriter writer, ComputeDevice value, JsonSerializerOptions options) =>
        writer.WriteStringValue(value.ToString());
}
