using System.CommandLine;
using System.CommandLine.Invocation;
using Adef.MLNet;
using CsvHelper;

namespace Adef.Cli;

/// <summary>
/// The adef tool: its commands, and the one place where their outcome becomes an exit code (<see cref="ExitCodes"/>).
/// Commands throw on bad input rather than print, so that every message reaches stderr the same way.
/// </summary>
internal static class AdefCli
{
    /// <summary>The root command with <c>attack</c>, <c>report</c> and <c>worker</c>.</summary>
    /// <param name="cancel">Stops an attack or a worker as Ctrl+C does (tests cancel through it; the tool passes none).</param>
    public static RootCommand Create(CancellationToken cancel)
    {
        var root = new RootCommand(
            "adef: adversarial deformations (ADef) and DeepFool against ONNX image classifiers, and robustness reports of the results.\n" +
            ExitCodes.Help);
        root.Subcommands.Add(AttackCommand.Create(cancel));
        root.Subcommands.Add(ReportCommand.Create());
        root.Subcommands.Add(WorkerCommand.Create(cancel));
        return root;
    }

    /// <summary>Parses <paramref name="args"/>, runs the command and returns its exit code.</summary>
    /// <param name="args">The command line, without the program's name.</param>
    /// <param name="output">Where <c>--help</c> and <c>--version</c> print (the commands themselves print to the console).</param>
    /// <param name="error">Where the one-line error of bad input and the report of an internal error go.</param>
    /// <param name="cancel">As for <see cref="Create"/>.</param>
    public static int Invoke(string[] args, TextWriter output, TextWriter error, CancellationToken cancel)
    {
        ParseResult parse = Create(cancel).Parse(args);
        // System.CommandLine answers a parse error with the errors and the whole help text; a script wants one line.
        if (parse.Action is ParseErrorAction)
        {
            string command = parse.CommandResult.Parent is null ? "adef" : $"adef {parse.CommandResult.Command.Name}";
            return BadInput(error, $"{string.Join(" ", parse.Errors.Select(e => e.Message))} (see {command} --help)");
        }
        try
        {
            return parse.Invoke(new InvocationConfiguration { Output = output, Error = error, EnableDefaultExceptionHandler = false });
        }
        catch (Exception e)
        {
            return Fail(e, error);
        }
    }

    /// <summary>Reports what a command threw and returns the exit code: one line for bad input or a failed gate, the whole exception for a bug.</summary>
    internal static int Fail(Exception e, TextWriter error)
    {
        if (e is GateFailedException)
        {
            error.WriteLine(e.Message);
            return ExitCodes.GateFailed;
        }
        if (e is IncompleteRunException)
        {
            error.WriteLine("incomplete: " + e.Message);
            return ExitCodes.Incomplete;
        }
        if (IsBadInput(e)) return BadInput(error, e.Message);
        error.WriteLine($"adef: internal error (a bug; please report it with what follows):{Environment.NewLine}{e}");
        return ExitCodes.InternalError;
    }

    /// <summary>
    /// Whether <paramref name="e"/> reports bad input rather than a bug: the library's <see cref="InvalidInputException"/>s and
    /// its argument checks (which name the option), files that cannot be read or written, malformed CSV, and a cluster that
    /// cannot be joined (its message names the cluster).
    /// </summary>
    private static bool IsBadInput(Exception e) =>
        e is UsageException or Adef.Cluster.ClusterConnectionException or InvalidInputException or ArgumentException or NotSupportedException or InvalidOperationException
            or IOException or UnauthorizedAccessException or CsvFormatException;

    /// <summary>Prints <paramref name="message"/> as one line (library messages may span several) and gives exit code 1.</summary>
    private static int BadInput(TextWriter error, string message)
    {
        error.WriteLine("error: " + string.Join(' ', message.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)));
        return ExitCodes.BadInput;
    }
}
