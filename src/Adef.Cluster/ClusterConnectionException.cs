namespace Adef.Cluster;

/// <summary>
/// A silo or client could not join its cluster: Redis is unreachable, no silo of the cluster answers, or the silos refused
/// the connection (another TLS certificate, or TLS on one side only). The message names the cluster and never a password.
/// </summary>
public sealed class ClusterConnectionException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="connection">The cluster.</param>
    /// <param name="message">What failed, naming the cluster.</param>
    /// <param name="innerException">The cause, or null.</param>
    public ClusterConnectionException(ClusterConnection connection, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        ArgumentNullException.ThrowIfNull(connection);
        Connection = connection;
    }

    /// <summary>The cluster.</summary>
    public ClusterConnection Connection { get; }

    /// <summary>The exception and its inner exceptions (all of an aggregate's).</summary>
    internal static IEnumerable<Exception> Causes(Exception exception)
    {
        var pending = new Stack<Exception>();
        pending.Push(exception);
        while (pending.TryPop(out Exception? e))
        {
            yield return e;
            if (e is AggregateException aggregate)
                foreach (Exception inner in aggregate.InnerExceptions) pending.Push(inner);
            else if (e.InnerException is not null) pending.Push(e.InnerException);
        }
    }

    /// <summary>What went wrong, on one line: the outermost message and, where it adds something, the deepest cause's.</summary>
    internal static string Describe(Exception exception)
    {
        Exception root = exception;
        while (root.InnerException is not null) root = root.InnerException;
        string top = OneLine(exception.Message);
        string deepest = OneLine(root.Message);
        return root == exception || top.Contains(deepest, StringComparison.Ordinal) || deepest.Contains("will retry", StringComparison.Ordinal)
            ? top
            : $"{top} ({deepest})";
    }

    private static string OneLine(string message) =>
        string.Join(' ', message.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries));

    /// <summary>
    /// The exception for a silo whose host failed to start: "The worker cannot reach Redis at HOST:PORT for cluster …" when
    /// Redis is unreachable, else "The worker could not join cluster …: what failed".
    /// </summary>
    /// <param name="connection">The cluster.</param>
    /// <param name="cause">What the silo's host threw.</param>
    public static ClusterConnectionException ForSilo(ClusterConnection connection, Exception cause)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(cause);
        return Explain(connection, cause);
    }

    /// <summary>The exception for a silo or client that failed to join: Redis unreachable (naming HOST:PORT), or another cause.</summary>
    /// <param name="connection">The cluster.</param>
    /// <param name="cause">What the host threw.</param>
    /// <param name="waited">For a client, how long it tried; null for a silo.</param>
    internal static ClusterConnectionException Explain(ClusterConnection connection, Exception cause, TimeSpan? waited = null)
    {
        string who = waited is null ? "The worker" : "The client";
        string within = waited is { } w ? $" within {w.TotalSeconds.ToString("0.#", System.Globalization.CultureInfo.InvariantCulture)} s" : "";
        if (connection.Membership == ClusterMembership.Redis
            && Causes(cause).OfType<StackExchange.Redis.RedisConnectionException>().FirstOrDefault() is { } redis)
            return new ClusterConnectionException(connection,
                $"{who} cannot reach Redis at {connection.Endpoint}{(connection.RedisTls ? " (TLS)" : "")} (cluster '{connection.ClusterId}'){within}: " +
                $"{redis.FailureType}. Is a Redis server running there and reachable from this machine?", cause);
        string hint = waited is null ? ""
            : connection.UsesTls ? " (check that workers run with the same --cluster-id and --certificate)"
            : " (check that workers run with the same --cluster-id and without --certificate: if they use one, so must the client)";
        return new ClusterConnectionException(connection, $"{who} could not join {connection}{within}{hint}: {Describe(cause)}", cause);
    }
}
