namespace Adef.MLNet.Tests.Onnx;

/// <summary>The experiment models under <c>../shared/data/models</c> (found by walking up from the test assembly), if present.</summary>
public static class SharedModels
{
    private static readonly Lazy<string?> Folder = new(() =>
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            string candidate = Path.Combine(directory.FullName, "shared", "data", "models");
            if (Directory.Exists(candidate)) return candidate;
        }
        return null;
    });

    /// <summary>
    /// The path of <paramref name="relativePath"/> under the shared models folder; skips the calling test when
    /// the folder or the file is absent.
    /// </summary>
    public static string Require(string relativePath)
    {
        Skip.If(Folder.Value is null,
            "../shared/data/models is absent (it sits beside the repository on the development machine); skipping this integration test.");
        string path = Path.Combine(Folder.Value!, relativePath);
        Skip.IfNot(File.Exists(path), $"'{path}' is absent; skipping this integration test.");
        return path;
    }
}
