using Adef.MLNet.Data;

using Adef.MLNet;

namespace Adef.Experiments;

/// <summary>
/// Fashion-MNIST (60000 + 10000 images of clothing, 28×28 grey, 10 classes), from the Debian package
/// <c>dataset-fashion-mnist</c>. Installed copies under <c>/usr/share/datasets/fashion-mnist/</c> are
/// used directly; otherwise the package is fetched on first use with <c>apt-get download</c> into
/// <see cref="DataCache"/> (no root needed), its checksum verified and unpacked with <c>dpkg-deb -x</c>.
/// </summary>
public static class FashionMnist
{
    /// <summary>The Debian package that ships the idx files.</summary>
    public const string DebianPackage = "dataset-fashion-mnist";

    /// <summary>Where the Debian package installs the idx files.</summary>
    public const string SystemFolder = "/usr/share/datasets/fashion-mnist";

    private const string DebianVersion = "0.0~git20200523.55506a9-1";
    private const string DebName = "dataset-fashion-mnist_0.0~git20200523.55506a9-1_all.deb";
    private const string DebSha256 = "39e172fe32dd318ebb3e512220c3beea2fa47d7e20bab348fb4e0922d6beefc0";
    private static readonly string[] IdxFiles =
    {
        "train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz",
    };
    private static readonly object FetchLock = new();

    /// <summary>Class names, index = label.</summary>
    public static IReadOnlyList<string> ClassNames { get; } = new[]
    {
        "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
    };

    /// <summary>The 60000 training images, pixels in [0, 1].</summary>
    public static LabeledImages LoadTrain() => Load("train");

    /// <summary>The 10000 test images, pixels in [0, 1].</summary>
    public static LabeledImages LoadTest() => Load("t10k");

    /// <summary>The folder holding the four gzip idx files, fetching them first if needed.</summary>
    public static string EnsureFolder()
    {
        if (HasAll(SystemFolder)) return SystemFolder;
        string cache = Path.Combine(DataCache.Root, "fashion-mnist");
        string extracted = Path.Combine(cache, "root", "usr", "share", "datasets", "fashion-mnist");
        lock (FetchLock)
        {
            if (HasAll(extracted)) return extracted;
            Directory.CreateDirectory(cache);
            string deb = Path.Combine(cache, DebName);
            if (!File.Exists(deb))
                ExternalTool.Run("apt-get", $"download {DebianPackage}={DebianVersion}", cache,
                    $"Fetching Fashion-MNIST (Debian package {DebianPackage}; if apt reports it unknown, run 'apt-get update' first)",
                    TimeSpan.FromMinutes(5));
            FileChecksum.Verify(deb, DebSha256, $"Fashion-MNIST Debian package {DebianPackage}");
            ExternalTool.Run("dpkg-deb", $"-x {DebName} root", cache, $"Unpacking {deb}", TimeSpan.FromMinutes(2));
            if (!HasAll(extracted))
                throw new DataFileException($"'{deb}' did not contain the idx files under {SystemFolder}.", deb);
            return extracted;
        }
    }

    private static bool HasAll(string folder) => IdxFiles.All(f => File.Exists(Path.Combine(folder, f)));

    private static LabeledImages Load(string prefix)
    {
        string folder = EnsureFolder();
        return IdxFile.ReadLabeledImages(
            Path.Combine(folder, $"{prefix}-images-idx3-ubyte.gz"), Path.Combine(folder, $"{prefix}-labels-idx1-ubyte.gz"));
    }
}
