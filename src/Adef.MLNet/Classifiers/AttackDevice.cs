using System.Globalization;

namespace Adef.MLNet.Classifiers;

/// <summary>The kind of device a classifier runs on.</summary>
public enum AttackDeviceKind
{
    /// <summary>The host CPU.</summary>
    Cpu,

    /// <summary>An NVIDIA GPU through CUDA.</summary>
    Cuda,
}

/// <summary>
/// Where a classifier (and with it an attack) runs: <c>cpu</c>, <c>cuda</c> (the first GPU) or <c>cuda:N</c>.
/// Parsed from the same strings as PyTorch's devices; backends check that the device can be used
/// (<see cref="TorchSharp.TorchSharpDevices.Resolve(AttackDevice)"/>, <see cref="Onnx.OnnxClassifierOptions.Device"/>).
/// </summary>
public readonly record struct AttackDevice
{
    private AttackDevice(AttackDeviceKind kind, int? index)
    {
        Kind = kind;
        Index = index;
    }

    /// <summary>CPU or CUDA.</summary>
    public AttackDeviceKind Kind { get; }

    /// <summary>The GPU ordinal for <c>cuda:N</c>; <see langword="null"/> for <c>cpu</c> and for plain <c>cuda</c> (GPU 0).</summary>
    public int? Index { get; }

    /// <summary>The GPU ordinal to use: <see cref="Index"/>, or 0 for plain <c>cuda</c>.</summary>
    public int GpuOrdinal => Index ?? 0;

    /// <summary>The host CPU.</summary>
    public static AttackDevice Cpu { get; } = new(AttackDeviceKind.Cpu, null);

    /// <summary>The first CUDA GPU.</summary>
    public static AttackDevice Cuda { get; } = new(AttackDeviceKind.Cuda, null);

    /// <summary>CUDA GPU number <paramref name="index"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="index"/> is negative.</exception>
    public static AttackDevice CudaAt(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        return new AttackDevice(AttackDeviceKind.Cuda, index);
    }

    /// <summary>Parses <c>cpu</c>, <c>cuda</c> or <c>cuda:N</c> (case-insensitive, surrounding spaces ignored).</summary>
    /// <exception cref="FormatException">The text is none of these; the message lists the accepted forms.</exception>
    public static AttackDevice Parse(string text) =>
        TryParse(text, out AttackDevice device)
            ? device
            : throw new FormatException($"'{text}' is not a device; expected cpu, cuda or cuda:N (N = 0, 1, … the GPU number).");

    /// <summary>Parses like <see cref="Parse"/>, returning false instead of throwing.</summary>
    public static bool TryParse(string? text, out AttackDevice device)
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

    /// <summary><c>cpu</c>, <c>cuda</c> or <c>cuda:N</c>.</summary>
    public override string ToString() => Kind == AttackDeviceKind.Cpu ? "cpu" : Index is { } i ? $"cuda:{i}" : "cuda";
}
