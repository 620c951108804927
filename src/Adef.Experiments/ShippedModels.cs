namespace Adef.Experiments;

/// <summary>
/// The trained models this repository ships in <c>models/</c> at its root (weights and the checkpoint that describes how
/// they were trained), so that the experiments start from them instead of training first. A shipped model is used only
/// when its weights have the SHA-256 recorded here; models/README.md says how each was produced and how to reproduce it.
/// </summary>
public static class ShippedModels
{
    /// <summary>The folder of the shipped models, relative to the repository root.</summary>
    public const string Folder = "models";

    /// <summary>The SHA-256 of each shipped weights file, by file stem.</summary>
    private static readonly Dictionary<string, string> Sha256 = new(StringComparer.Ordinal)
    {
        ["mnist-a-seed0"] = "71f3fd7f5f3e6bc3b6991dc0eda185730fc0e7e9454d8378b8de6d9f03e26a37",
    };

    /// <summary>
    /// Copies the shipped weights and checkpoint named like <paramref name="cacheStem"/> (a cache path without extension, e.g.
    /// <c>…/models/mnist-a-seed0</c>) into the cache when the repository ships them; returns whether it did.
    /// </summary>
    /// <exception cref="Adef.MLNet.DataFileException">The shipped weights do not have their recorded SHA-256.</exception>
    public static bool TryInstall(string cacheStem)
    {
        string name = Path.GetFileName(cacheStem);
        if (!Sha256.TryGetValue(name, out string? sha256) || Find(name + ".weights") is not { } weights) return false;
        string checkpoint = Path.ChangeExtension(weights, ".json");
        if (!File.Exists(checkpoint)) return false;
        FileChecksum.Verify(weights, sha256, $"Shipped model {name}");
        // Copied under temporary names and moved into place, so an interrupted copy is never taken for the model.
        File.Copy(weights, cacheStem + ".weights.tmp", overwrite: true);
        File.Copy(checkpoint, cacheStem + ".json.tmp", overwrite: true);
        File.Move(cacheStem + ".weights.tmp", cacheStem + ".weights", overwrite: true);
        File.Move(cacheStem + ".json.tmp", cacheStem + ".json", overwrite: true);
        return true;
    }

    /// <summary>
    /// The shipped file <paramref name="fileName"/>, looked for in <see cref="Folder"/> of the current directory and each of its
    /// parents (the experiments, benchmarks and tests run from inside the repository), then of the application's folder and its
    /// parents; null when there is none.
    /// </summary>
    private static string? Find(string fileName)
    {
        foreach (string start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
            for (DirectoryInfo? folder = new(start); folder is not null; folder = folder.Parent)
            {
                string candidate = Path.Combine(folder.FullName, Folder, fileName);
                if (File.Exists(candidate)) return candidate;
            }
        return null;
    }
}
