namespace Adef.Experiments;

/// <summary>
/// The folder where datasets fetched on first use and models trained by the samples are kept:
/// <c>$ADEF_MLNET_CACHE</c> when set, else <c>$XDG_CACHE_HOME/adef-mlnet</c>, else
/// <c>~/.cache/adef-mlnet</c>.
/// </summary>
public static class DataCache
{
    /// <summary>The environment variable that overrides the cache folder.</summary>
    public const string EnvironmentVariable = "ADEF_MLNET_CACHE";

    /// <summary>The cache root (not created by this property).</summary>
    public static string Root
    {
        get
        {
            string? overridden = Environment.GetEnvironmentVariable(EnvironmentVariable);
            if (!string.IsNullOrWhiteSpace(overridden)) return Path.GetFullPath(overridden);
            string? xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
            string baseFolder = !string.IsNullOrWhiteSpace(xdg)
                ? xdg
                : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
            return Path.Combine(baseFolder, "adef-mlnet");
        }
    }

    /// <summary>A sub-folder of the cache root, created if missing.</summary>
    public static string Folder(string name)
    {
        string folder = Path.Combine(Root, name);
        Directory.CreateDirectory(folder);
        return folder;
    }
}
