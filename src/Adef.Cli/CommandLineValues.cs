using System.Globalization;

namespace Adef.Cli;

/// <summary>A command-line mistake or unusable input: printed as one line without a stack trace, exit code 1 (<see cref="ExitCodes.BadInput"/>).</summary>
internal sealed class UsageException(string message) : Exception(message);

/// <summary>Parsing of the option values that System.CommandLine leaves as text, such as comma-separated lists.</summary>
internal static class CommandLineValues
{
    /// <summary>The finite numbers of a comma-separated list such as <c>0.485,0.456,0.406</c>.</summary>
    /// <exception cref="UsageException">An item is not a finite number; the message names <paramref name="option"/>.</exception>
    public static double[] ParseList(string option, string text)
    {
        string[] parts = text.Split(',', StringSplitOptions.TrimEntries);
        var values = new double[parts.Length];
        for (int i = 0; i < parts.Length; i++)
            if (!double.TryParse(parts[i], NumberStyles.Float, CultureInfo.InvariantCulture, out values[i]) || !double.IsFinite(values[i]))
                throw new UsageException($"{option}: '{parts[i]}' is not a number (expected a comma-separated list such as 1,2,3).");
        return values;
    }
}
