using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Console;

namespace Adef.Cluster;

/// <summary>The logging of the CLI's silos and clients: warnings and errors only, one line each, on stderr.</summary>
public static class ClusterLogging
{
    /// <summary>
    /// Replaces the providers by a console logger on stderr for warnings and errors, one line each with the exception's type
    /// and message but no stack trace (Orleans' information chatter is dropped). Until <paramref name="started"/> returns true, the connection warnings of a start that is still trying
    /// and the host's "failed to start" error are dropped too: the caller reports a failed start in one line itself.
    /// </summary>
    /// <param name="logging">The host's logging.</param>
    /// <param name="started">Whether the host has started, or null to drop nothing.</param>
    public static void WarningsToStandardError(ILoggingBuilder logging, Func<bool>? started = null)
    {
        ArgumentNullException.ThrowIfNull(logging);
        logging.ClearProviders();
        logging.SetMinimumLevel(LogLevel.Warning);
        logging.AddConsole(o => o.FormatterName = CompactFormatter.Name);
        logging.AddConsoleFormatter<CompactFormatter, ConsoleFormatterOptions>();
        logging.Services.Configure<ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        // One rule for every category (a rule with a filter replaces the minimum level where it applies, and a rule for a
        // category prefix would replace this one there).
        logging.AddFilter((_, category, level) =>
            level >= LogLevel.Warning
            // The silo's notes about server GC at every start.
            && !(category == "Orleans.Runtime.Silo" && level < LogLevel.Error)
            && (started is null || started() || !IsStartChatter(category)));
    }

    private static bool IsStartChatter(string? category) =>
        category is not null && (category.StartsWith("Orleans.Messaging.", StringComparison.Ordinal)
                                 || category.StartsWith("Orleans.Runtime.Messaging.", StringComparison.Ordinal)
                                 || category.StartsWith("Orleans.Connections.", StringComparison.Ordinal)
                                 || category.StartsWith("Orleans.Runtime.GrainDirectory.", StringComparison.Ordinal)
                                 || category.StartsWith("Orleans.Runtime.Metadata.", StringComparison.Ordinal)
                                 || category.StartsWith("Orleans.Runtime.MembershipService.", StringComparison.Ordinal)
                                 || category.StartsWith("Orleans.Clustering.", StringComparison.Ordinal)
                                 || category.StartsWith("Microsoft.Extensions.Hosting.", StringComparison.Ordinal)
                                 || category.StartsWith("Orleans.Hosting.", StringComparison.Ordinal)
                                 || category.StartsWith("Orleans.Runtime.Silo", StringComparison.Ordinal)
                                 // A bogus "participant check thread has not completed for 08:27:17" at the first check.
                                 || category.StartsWith("Orleans.Runtime.Watchdog", StringComparison.Ordinal));

    /// <summary>"HH:mm:ss warn: Category: message (Exception: message)", one line, no stack trace.</summary>
    private sealed class CompactFormatter() : ConsoleFormatter(Name)
    {
        public new const string Name = "adef-compact";

        public override void Write<TState>(in LogEntry<TState> logEntry, IExternalScopeProvider? scopeProvider, TextWriter textWriter)
        {
            string message = logEntry.Formatter(logEntry.State, logEntry.Exception);
            if (string.IsNullOrEmpty(message) && logEntry.Exception is null) return;
            string level = logEntry.LogLevel switch
            {
                LogLevel.Critical => "crit",
                LogLevel.Error => "fail",
                LogLevel.Warning => "warn",
                LogLevel.Information => "info",
                LogLevel.Debug => "dbug",
                _ => "trce",
            };
            var line = new System.Text.StringBuilder();
            line.Append(DateTime.Now.ToString("HH:mm:ss ", System.Globalization.CultureInfo.InvariantCulture))
                .Append(level).Append(": ").Append(logEntry.Category).Append(": ").Append(OneLine(message));
            for (Exception? e = logEntry.Exception; e is not null; e = e.InnerException)
                line.Append(e == logEntry.Exception ? " (" : " <- ").Append(e.GetType().Name).Append(": ").Append(OneLine(e.Message));
            if (logEntry.Exception is not null) line.Append(')');
            textWriter.WriteLine(line.ToString());
        }

        private static string OneLine(string text) =>
            string.Join(' ', text.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries));
    }
}
