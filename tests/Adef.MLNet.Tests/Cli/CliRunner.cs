using Adef.Cli;

namespace Adef.MLNet.Tests.Cli;

/// <summary>Runs the adef tool in-process as its Program does, keeping what it printed through its writers.</summary>
internal static class CliRunner
{
    /// <summary>The exit code, the help or version text, and the error text of <c>adef <paramref name="args"/></c>.</summary>
    public static (int Exit, string Output, string Error) Run(string[] args, CancellationToken cancel = default)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int exit = AdefCli.Invoke(args, output, error, cancel);
        return (exit, output.ToString(), error.ToString());
    }

    /// <summary>The lines of <paramref name="text"/>, without a final empty one.</summary>
    public static string[] Lines(string text) => text.Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);
}
