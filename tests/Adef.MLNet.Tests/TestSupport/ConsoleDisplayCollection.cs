namespace Adef.MLNet.Tests.TestSupport;

/// <summary>
/// Tests of sample commands that draw Spectre.Console progress displays. Spectre allows one live display per process at a
/// time, so these run one after another; other collections still run beside them.
/// </summary>
[CollectionDefinition(Name)]
public sealed class ConsoleDisplayCollection
{
    /// <summary>The collection name used with <c>[Collection]</c>.</summary>
    public const string Name = "console display";
}
