using Adef.Experiments;
using Adef.MLNet.Data;
using Adef.MLNet.Tests.TestSupport;

namespace Adef.MLNet.Tests.Data;

[Collection(EnvironmentCollection.Name)]
public sealed class DataCacheTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void RootIsTheFolderNamedByAdefMlnetCache()
    {
        string folder = _temp.File("cache");
        string? previous = Environment.GetEnvironmentVariable(DataCache.EnvironmentVariable);
        try
        {
            Environment.SetEnvironmentVariable(DataCache.EnvironmentVariable, folder);
            Assert.Equal(folder, DataCache.Root);
            Assert.False(Directory.Exists(folder)); // Root does not create the folder.

            Environment.SetEnvironmentVariable(DataCache.EnvironmentVariable, "relative-cache");
            Assert.Equal(Path.Combine(Environment.CurrentDirectory, "relative-cache"), DataCache.Root);
        }
        finally
        {
            Environment.SetEnvironmentVariable(DataCache.EnvironmentVariable, previous);
        }
    }

    [Fact]
    public void BlankAdefMlnetCacheFallsBackToXdgCacheHome()
    {
        using var cache = new EnvironmentVariableScope(DataCache.EnvironmentVariable, "  ");
        using var xdg = new EnvironmentVariableScope("XDG_CACHE_HOME", _temp.Path);

        Assert.Equal(Path.Combine(_temp.Path, "adef-mlnet"), DataCache.Root);
    }

    [Fact]
    public void FolderCreatesTheSubfolderUnderTheRoot()
    {
        using var cache = new EnvironmentVariableScope(DataCache.EnvironmentVariable, _temp.File("cache"));

        string folder = DataCache.Folder("models");

        Assert.Equal(Path.Combine(_temp.Path, "cache", "models"), folder);
        Assert.True(Directory.Exists(folder));
    }
}
