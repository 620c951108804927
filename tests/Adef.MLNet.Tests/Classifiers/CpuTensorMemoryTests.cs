using System.Runtime.InteropServices;
using Adef.MLNet.Classifiers.TorchSharp;

namespace Adef.MLNet.Tests.Classifiers;

public class CpuTensorMemoryTests
{
    [Fact]
    public void SetsGlibcsThresholdsOnLinuxAndSaysWhyNotElsewhere()
    {
        bool applied = CpuTensorMemory.TryKeepFreedMemory(out string? reason);

        if (OperatingSystem.IsLinux() && NativeLibrary.TryLoad("libc.so.6", out _)) // glibc, as on the Debian machines here
        {
            Assert.True(applied, reason);
            Assert.Null(reason);
        }
        else
        {
            Assert.False(applied);
            Assert.Contains("libc.so.6", reason);
        }
    }

    [Theory]
    [InlineData(0, 1)]
    [InlineData(1, -1)]
    public void ThresholdsMustBePositive(int mmap, int trim) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => CpuTensorMemory.TryKeepFreedMemory(out _, mmap, trim));
}
