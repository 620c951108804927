using System.Security.Cryptography;

namespace Adef.Cluster;

/// <summary>The model file is not the one the job names: its SHA-256 differs.</summary>
public sealed class ModelHashMismatchException : Exception
{
    /// <summary>Creates the exception for <paramref name="path"/>.</summary>
    /// <param name="path">The model file as this worker sees it.</param>
    /// <param name="expected">The job's hash.</param>
    /// <param name="actual">The file's hash.</param>
    public ModelHashMismatchException(string path, string expected, string actual)
        : base($"Model '{path}' has SHA-256 {actual}, but the job names {expected}: this worker sees another file (copy the job's model to the same path on every worker).")
    {
        Path = path;
        Expected = expected;
        Actual = actual;
    }

    /// <summary>The model file.</summary>
    public string Path { get; }

    /// <summary>The job's hash.</summary>
    public string Expected { get; }

    /// <summary>The file's hash.</summary>
    public string Actual { get; }
}

/// <summary>
/// The loaded models of a silo, keyed by the model file's SHA-256 and how it is loaded (a job's preprocessing and attack):
/// a model is loaded once per silo, not per shard, and
/// lives here rather than in a grain because grains deactivate and move. Models no shard uses are disposed when more
/// than <see cref="Capacity"/> are loaded. Thread-safe.
/// </summary>
public sealed class ModelCache : IDisposable
{
    private readonly object _gate = new();
    private readonly Dictionary<string, Entry> _models = new(StringComparer.Ordinal);
    private long _clock;
    private bool _disposed;

    private sealed class Entry(object model)
    {
        public object Model { get; } = model;
        public int Users { get; set; }
        public long LastUse { get; set; }
    }

    /// <summary>How many models stay loaded when no shard uses them. Default 2.</summary>
    public int Capacity { get; set; } = 2;

    /// <summary>The SHA-256 of a file, in lower-case hex.</summary>
    public static string Sha256Of(string path)
    {
        using FileStream stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    /// <summary>
    /// The model of <paramref name="path"/> loaded by <paramref name="load"/>, shared by every shard of the silo that uses
    /// the same <paramref name="sha256"/> and <paramref name="variant"/>: the first use checks the file's hash against
    /// <paramref name="sha256"/> and loads it. Dispose the lease when the shard is done.
    /// </summary>
    /// <param name="path">The model file.</param>
    /// <param name="sha256">The hash the file must have.</param>
    /// <param name="variant">What else the loaded object depends on (jobs with another variant get their own), e.g. the attack's settings.</param>
    /// <param name="load">Loads the model.</param>
    /// <exception cref="ModelHashMismatchException">The file's hash is not <paramref name="sha256"/>.</exception>
    /// <exception cref="InvalidCastException">The hash is loaded as another type.</exception>
    public ModelLease<T> Use<T>(string path, string sha256, string variant, Func<string, T> load) where T : class, IDisposable
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentException.ThrowIfNullOrWhiteSpace(sha256);
        ArgumentNullException.ThrowIfNull(variant);
        ArgumentNullException.ThrowIfNull(load);
        string key = $"{sha256.ToLowerInvariant()}\n{variant}";
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (!_models.TryGetValue(key, out Entry? entry))
            {
                // Loading under the lock: two shards of a new job wait for one load instead of loading twice.
                string actual = Sha256Of(path);
                if (!string.Equals(actual, sha256, StringComparison.OrdinalIgnoreCase))
                    throw new ModelHashMismatchException(path, sha256, actual);
                entry = new Entry(load(path));
                _models.Add(key, entry);
            }
            entry.Users++;
            entry.LastUse = ++_clock;
            Evict(); // after counting this use, so the model just loaded is never the one unloaded
            return new ModelLease<T>((T)entry.Model, () => Release(entry));
        }
    }

    /// <summary>Disposes every model.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
            foreach (Entry entry in _models.Values) ((IDisposable)entry.Model).Dispose();
            _models.Clear();
        }
    }

    private void Release(Entry entry)
    {
        lock (_gate)
        {
            entry.Users--;
            if (!_disposed) Evict();
        }
    }

    private void Evict()
    {
        while (_models.Count > Capacity)
        {
            var idle = _models.Where(m => m.Value.Users == 0).OrderBy(m => m.Value.LastUse).FirstOrDefault();
            if (idle.Value is null) return;
            _models.Remove(idle.Key);
            ((IDisposable)idle.Value.Model).Dispose();
        }
    }
}

/// <summary>One shard's use of a cached model; disposing it lets the cache unload the model when it is no longer needed.</summary>
/// <typeparam name="T">The model's type.</typeparam>
public sealed class ModelLease<T> : IDisposable where T : class
{
    private Action? _release;

    internal ModelLease(T model, Action release)
    {
        Model = model;
        _release = release;
    }

    /// <summary>The loaded model.</summary>
    public T Model { get; }

    /// <summary>Ends this use.</summary>
    public void Dispose() => Interlocked.Exchange(ref _release, null)?.Invoke();
}
