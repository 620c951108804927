using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace Adef.MLNet.Classifiers.TorchSharp;

/// <summary>Turns an <see cref="ComputeDevice"/> into a TorchSharp <see cref="Device"/>, checking that it can be used.</summary>
public static class TorchSharpDevices
{
    /// <summary>
    /// The TorchSharp device for <paramref name="device"/>. For CUDA, checks <c>torch.cuda.is_available()</c> and
    /// <c>torch.cuda.device_count()</c> first, so that an unusable GPU is a clear error here rather than a native
    /// failure inside the first model call.
    /// </summary>
    /// <exception cref="DeviceUnavailableException">CUDA cannot be used, or the GPU number is out of range; the message lists what was tried.</exception>
    public static Device Resolve(ComputeDevice device)
    {
        if (device.Kind == ComputeDeviceKind.Cpu) return CPU;
        var attempts = new List<string>();
        string libraries = LoadedLibTorch();
        bool available;
        try
        {
            available = cuda.is_available();
        }
        catch (Exception e) when (e is ExternalException or DllNotFoundException or EntryPointNotFoundException or TypeInitializationException)
        {
            attempts.Add($"torch.cuda.is_available() failed: {e.Message}");
            throw Unavailable(device, attempts, libraries, e);
        }
        attempts.Add($"torch.cuda.is_available() returned {available.ToString().ToLowerInvariant()}");
        if (!available) throw Unavailable(device, attempts, libraries, null);

        int count = cuda.device_count();
        attempts.Add($"torch.cuda.device_count() returned {count}");
        if (device.GpuOrdinal >= count)
            throw new DeviceUnavailableException(
                $"Device '{device}' is out of range: this machine has {count} CUDA GPU(s), so the devices are " +
                $"{(count == 1 ? "cuda:0" : $"cuda:0 … cuda:{count - 1}")}. Tried: {string.Join("; ", attempts)}.",
                device, attempts);
        return torch.device(DeviceType.CUDA, device.GpuOrdinal);
    }

    /// <summary>Parses <paramref name="device"/> (<c>cpu</c>, <c>cuda</c>, <c>cuda:N</c>) and resolves it.</summary>
    /// <exception cref="FormatException">The text is not a device.</exception>
    /// <exception cref="DeviceUnavailableException">CUDA cannot be used, or the GPU number is out of range.</exception>
    public static Device Resolve(string device) => Resolve(ComputeDevice.Parse(device));

    /// <summary>The <see cref="ComputeDevice"/> of a TorchSharp device: <c>cpu</c>, or <c>cuda:N</c> (plain <c>cuda</c> when it names no GPU).</summary>
    /// <exception cref="ArgumentException">The device is neither a CPU nor a CUDA GPU.</exception>
    public static ComputeDevice ToComputeDevice(Device device) => device.type switch
    {
        DeviceType.CPU => ComputeDevice.Cpu,
        DeviceType.CUDA => device.index >= 0 ? ComputeDevice.CudaAt(device.index) : ComputeDevice.Cuda,
        _ => throw new ArgumentException($"TorchSharp device {device} is neither a CPU nor a CUDA GPU.", nameof(device)),
    };

    /// <summary>Whether TorchSharp can run on CUDA here; <paramref name="reason"/> says why not.</summary>
    public static bool IsCudaAvailable(out string reason)
    {
        try
        {
            Resolve(ComputeDevice.Cuda);
            reason = "";
            return true;
        }
        catch (DeviceUnavailableException e)
        {
            reason = e.Message;
            return false;
        }
    }

    private static DeviceUnavailableException Unavailable(ComputeDevice device, List<string> attempts, string libraries, Exception? inner) =>
        new($"Device '{device}' cannot be used: TorchSharp has no CUDA here. Tried: {string.Join("; ", attempts)}. " +
            $"libtorch loaded from: {libraries}. CUDA needs a CUDA build of libtorch (the TorchSharp-cuda-linux or " +
            "TorchSharp-cuda-windows package instead of TorchSharp-cpu, or PyTorch's CUDA libtorch first on LD_LIBRARY_PATH) " +
            "and a working NVIDIA driver (nvidia-smi). Use 'cpu' otherwise.",
            device, attempts, inner);

    /// <summary>The libtorch files mapped into this process (Linux), to show which build TorchSharp loaded.</summary>
    private static string LoadedLibTorch()
    {
        try
        {
            if (!OperatingSystem.IsLinux()) return "(not listed on this OS)";
            var paths = File.ReadLines("/proc/self/maps")
                .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries).LastOrDefault() ?? "")
                .Where(path => Path.GetFileName(path).StartsWith("libtorch", StringComparison.Ordinal) || Path.GetFileName(path).StartsWith("libc10", StringComparison.Ordinal))
                .Distinct()
                .ToList();
            return paths.Count == 0 ? "(none mapped yet)" : string.Join(", ", paths);
        }
        catch (IOException)
        {
            return "(unknown)";
        }
    }
}
