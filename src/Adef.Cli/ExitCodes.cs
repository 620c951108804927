namespace Adef.Cli;

/// <summary>The exit codes of every adef command, as <c>--help</c> and the README list them.</summary>
internal static class ExitCodes
{
    /// <summary>The command finished.</summary>
    public const int Done = 0;

    /// <summary>Bad input (a mistyped flag, a missing or malformed file, an option out of range): one line <c>error: …</c> on
    /// stderr and no stack trace, before anything that <c>--resume</c> would trust is written.</summary>
    public const int BadInput = 1;

    /// <summary>The robustness gate failed (<c>--fail-if-success-above</c>, <c>--fail-if-accuracy-below</c>): one line
    /// <c>gate failed: …</c> on stderr naming each threshold crossed and the measured value, after every output was written.</summary>
    public const int GateFailed = 2;

    /// <summary>The run is incomplete: a cluster gave up on shards that failed three times (one line <c>incomplete: …</c> on
    /// stderr; every output was written and <c>--resume</c> tries the missing images again).</summary>
    public const int Incomplete = 3;

    /// <summary>A bug in adef or its libraries (sysexits' EX_SOFTWARE): the exception and its stack trace go to stderr so
    /// that they can be reported; a distinct code so that scripts can tell it from their own mistakes.</summary>
    public const int InternalError = 70;

    /// <summary>Stopped by Ctrl+C (128 + SIGINT, what a shell reports for a process the signal ended).</summary>
    public const int Interrupted = 130;

    /// <summary>The exit codes as each command's <c>--help</c> shows them.</summary>
    public const string Help =
        "Exit codes: 0 done; 1 bad input (one line 'error: ...' on stderr); 2 gate failed (one line 'gate failed: ...' on stderr); 3 incomplete (a cluster gave up on some images); 130 interrupted (Ctrl+C); 70 internal error (a bug: stack trace on stderr).";
}
