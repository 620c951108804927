using System.Runtime.InteropServices;

namespace Adef.MLNet.Classifiers.TorchSharp;

/// <summary>
/// Keeps the memory of freed CPU tensors inside the process on Linux (glibc), so attacks and training on the CPU stop
/// handing it back to the operating system after every model call and faulting it in again on the next.
/// </summary>
/// <remarks>
/// <para>
/// libtorch takes CPU tensors from the C library's <c>malloc</c>. By default glibc moves its mmap threshold with the
/// sizes it sees and returns free heap memory above its trim threshold (twice the mmap threshold) to the system, so
/// the activations and gradients of tens of megabytes that every forward and backward pass allocates and frees keep
/// being unmapped and faulted in again. <see cref="TryKeepFreedMemory"/> fixes both thresholds with <c>mallopt</c>, so
/// that memory stays in the process and attacks on the CPU spend far less time in the kernel (README, "Speed on a Linux
/// CPU"; docs/onnx-gradients.md).
/// </para>
/// <para>
/// It changes the whole process's allocator, which is why the library never does it by itself: an application calls
/// it once at start-up (the samples do). Up to the trim threshold of freed memory then stays with each malloc arena
/// (glibc adds arenas as threads contend for one, up to eight per core), so the process may hold more memory between calls,
/// though its peak over a whole run is no higher. Blocks above the mmap threshold are still mapped and unmapped each time;
/// raising the thresholds so that even the largest activations stay in the heap makes attacks no faster. The same
/// settings can be given without code through the environment:
/// <c>GLIBC_TUNABLES=glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=268435456</c>.
/// </para>
/// </remarks>
public static class CpuTensorMemory
{
    /// <summary>Default mmap threshold: 32 MiB (larger values make attacks no faster: see the remarks).</summary>
    public const int DefaultMmapThresholdBytes = 32 << 20;

    /// <summary>Default trim threshold: 256 MiB, above what one model call of the attacks here frees at once.</summary>
    public const int DefaultTrimThresholdBytes = 256 << 20;

    private const string GlibcSoname = "libc.so.6";
    private const int TrimThresholdParameter = -1; // M_TRIM_THRESHOLD in glibc's malloc.h
    private const int MmapThresholdParameter = -3; // M_MMAP_THRESHOLD

    /// <summary>
    /// Sets glibc's mmap and trim thresholds for the whole process. Returns false, with the reason, where there is no
    /// glibc (Windows, macOS, musl-based Linux) or <c>mallopt</c> refuses a value. Calling it again with other values
    /// replaces them.
    /// </summary>
    /// <param name="reason">Why nothing was changed; null on success.</param>
    /// <param name="mmapThresholdBytes">Blocks at least this large get their own mapping.</param>
    /// <param name="trimThresholdBytes">Free memory at the top of a heap beyond this is returned to the system.</param>
    /// <exception cref="ArgumentOutOfRangeException">A threshold is not positive.</exception>
    public static unsafe bool TryKeepFreedMemory(out string? reason, int mmapThresholdBytes = DefaultMmapThresholdBytes,
        int trimThresholdBytes = DefaultTrimThresholdBytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(mmapThresholdBytes);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(trimThresholdBytes);
        if (!OperatingSystem.IsLinux() || !NativeLibrary.TryLoad(GlibcSoname, out IntPtr glibc))
        {
            reason = $"this is not Linux with glibc ({GlibcSoname} could not be loaded)";
            return false;
        }
        if (!NativeLibrary.TryGetExport(glibc, "mallopt", out IntPtr address))
        {
            reason = $"{GlibcSoname} does not export mallopt";
            return false;
        }
        var mallopt = (delegate* unmanaged<int, int, int>)address;
        if (mallopt(MmapThresholdParameter, mmapThresholdBytes) != 1)
        {
            reason = $"mallopt refused M_MMAP_THRESHOLD = {mmapThresholdBytes} bytes";
            return false;
        }
        if (mallopt(TrimThresholdParameter, trimThresholdBytes) != 1)
        {
            reason = $"mallopt refused M_TRIM_THRESHOLD = {trimThresholdBytes} bytes (M_MMAP_THRESHOLD was set)";
            return false;
        }
        reason = null;
        return true;
    }
}
