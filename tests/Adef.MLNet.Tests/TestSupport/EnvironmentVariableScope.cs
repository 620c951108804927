namespace Adef.MLNet.Tests.TestSupport;

/// <summary>
/// Sets an environment variable of this process and restores its previous value (or its absence) on
/// dispose. Use only in tests of the <see cref="EnvironmentCollection"/>.
/// </summary>
public sealed class EnvironmentVariableScope : IDisposable
{
    private readonly string _name;
    private readonly string? _previous;

    public EnvironmentVariableScope(string name, string? value)
    {
        _name = name;
        _previous = Environment.GetEnvironmentVariable(name);
        Environment.SetEnvironmentVariable(name, value);
    }

    public void Dispose() => Environment.SetEnvironmentVariable(_name, _previous);
}
