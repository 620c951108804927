using Adef.MLNet.Classifiers.TorchSharp;

namespace Adef.Experiments;

/// <summary>The start-up choice of the sample commands and gpu-check for libtorch's CPU tensor memory.</summary>
public static class FreedTensorMemory
{
    /// <summary>
    /// Keeps freed CPU tensors in the process instead of handing them back to the system after every model call
    /// (<see cref="CpuTensorMemory.TryKeepFreedMemory"/>), unless <c>ADEF_MLNET_KEEP_FREED_MEMORY=0</c>; says on stderr why
    /// glibc's allocator was left as it is where that fails. It changes the whole process's allocator, which is why the
    /// programs decide it and the library does not.
    /// </summary>
    public static void KeepUnlessDisabled()
    {
        if (Environment.GetEnvironmentVariable("ADEF_MLNET_KEEP_FREED_MEMORY") != "0" && OperatingSystem.IsLinux()
            && !CpuTensorMemory.TryKeepFreedMemory(out string? reason))
            Console.Error.WriteLine($"Note: glibc's allocator is left as it is: {reason}.");
    }
}
