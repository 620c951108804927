namespace Adef.Cli;

/// <summary>The run ended without some of its images: a cluster gave up on shards that failed three times
/// (<see cref="ExitCodes.Incomplete"/>). Every output was written; <c>--resume</c> tries the missing images again.</summary>
internal sealed class IncompleteRunException(string message) : Exception(message);
