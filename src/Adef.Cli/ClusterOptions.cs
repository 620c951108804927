using Adef.Cluster;

namespace Adef.Cli;

/// <summary>The cluster options that <c>adef worker</c> and <c>adef attack --cluster</c> share, read the same way.</summary>
internal static class ClusterOptions
{
    /// <summary>
    /// The connection of <c>--cluster</c>, <c>--cluster-id</c>, <c>--certificate</c> and <c>--certificate-password-env</c>
    /// (the password is read from that environment variable, never from the command line).
    /// </summary>
    /// <exception cref="UsageException">A value is missing or malformed, or the password's variable is not set.</exception>
    public static ClusterConnection Connection(string url, string? clusterId, string? certificate, string? certificatePasswordEnv)
    {
        string? password = null;
        if (certificatePasswordEnv is not null)
        {
            if (certificate is null) throw new UsageException("--certificate-password-env needs --certificate.");
            password = Environment.GetEnvironmentVariable(certificatePasswordEnv)
                       ?? throw new UsageException($"--certificate-password-env: the environment variable '{certificatePasswordEnv}' is not set.");
        }
        return Usage(() => ClusterConnection.Parse(url, clusterId ?? "", certificate, password));
    }

    /// <summary>Runs <paramref name="action"/>, turning the library's <see cref="ArgumentException"/> (whose message names the
    /// option) into a <see cref="UsageException"/> without .NET's "(Parameter ...)" suffix.</summary>
    public static T Usage<T>(Func<T> action)
    {
        try
        {
            return action();
        }
        catch (ArgumentException e)
        {
            string message = e.ParamName is null ? e.Message : e.Message.Replace($" (Parameter '{e.ParamName}')", "", StringComparison.Ordinal);
            if (e is ArgumentOutOfRangeException { ActualValue: not null } range)
                message = message.Replace($"{Environment.NewLine}Actual value was {range.ActualValue}.", "", StringComparison.Ordinal);
            throw new UsageException(message);
        }
    }
}
