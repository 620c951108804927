namespace Adef.MLNet.Tests.TestSupport;

/// <summary>
/// Tests that set process-wide environment variables (such as <c>ADEF_MLNET_CACHE</c>) or read state
/// derived from them. They run one at a time and never alongside other test classes.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class EnvironmentCollection
{
    /// <summary>The collection name used with <c>[Collection]</c>.</summary>
    public const string Name = "environment";
}
