using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans;
using Orleans.Hosting;

namespace Adef.Cluster;

/// <summary>
/// A running Orleans client of an adef cluster (a generic host with <see cref="ClusterHostingExtensions.UseAdefCluster(IClientBuilder, ClusterConnection)"/>):
/// give <see cref="Client"/> to <see cref="ClusterJobClient"/>. Dispose it to leave the cluster. It does not react to
/// Ctrl+C itself: its owner decides when to stop.
/// </summary>
public sealed class ClusterClientHost : IAsyncDisposable
{
    /// <summary>How long <see cref="StartAsync"/> tries by default.</summary>
    public static readonly TimeSpan DefaultConnectTimeout = TimeSpan.FromSeconds(15);

    private static readonly TimeSpan RetryDelay = TimeSpan.FromMilliseconds(500);
    private int _disposed;

    private ClusterClientHost(IHost host, ClusterConnection connection)
    {
        Host = host;
        Connection = connection;
        Client = host.Services.GetRequiredService<IClusterClient>();
    }

    /// <summary>The generic host running the client.</summary>
    public IHost Host { get; }

    /// <summary>The cluster.</summary>
    public ClusterConnection Connection { get; }

    /// <summary>The connected client.</summary>
    public IClusterClient Client { get; }

    /// <summary>The client's grain factory (<see cref="Client"/>).</summary>
    public IGrainFactory Grains => Client;

    /// <summary>
    /// Starts a client and connects it to the cluster, retrying every 0.5 s until <paramref name="connectTimeout"/> has passed
    /// (the workers may still be starting).
    /// </summary>
    /// <param name="connection">The cluster.</param>
    /// <param name="connectTimeout">How long to try; null is <see cref="DefaultConnectTimeout"/> (15 s).</param>
    /// <param name="logging">Configures the client's logging; null is <see cref="ClusterLogging.WarningsToStandardError"/>
    /// (warnings and errors on stderr, quiet while connecting).</param>
    /// <param name="cancellationToken">Stops trying.</param>
    /// <exception cref="ClusterConnectionException">No silo of the cluster could be reached in time (Redis unreachable, no
    /// worker running, or the workers refused this client's TLS); the message names the cluster.</exception>
    /// <exception cref="ArgumentException">The certificate cannot be used.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was canceled.</exception>
    public static async Task<ClusterClientHost> StartAsync(ClusterConnection connection, TimeSpan? connectTimeout = null,
        Action<ILoggingBuilder>? logging = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(connection);
        TimeSpan timeout = connectTimeout ?? DefaultConnectTimeout;
        if (timeout <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(connectTimeout), timeout, "The connection timeout must be positive.");

        HostApplicationBuilder builder = Microsoft.Extensions.Hosting.Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Services.AddSingleton<IHostLifetime, PassiveLifetime>();
        bool started = false;
        if (logging is not null) logging(builder.Logging);
        else ClusterLogging.WarningsToStandardError(builder.Logging, () => Volatile.Read(ref started));
        var stopwatch = Stopwatch.StartNew();
        builder.UseOrleansClient(client =>
        {
            client.UseAdefCluster(connection);
            client.UseConnectionRetryFilter(async (_, token) =>
            {
                if (stopwatch.Elapsed + RetryDelay >= timeout) return false;
                await Task.Delay(RetryDelay, token);
                return true;
            });
        });
        IHost host = builder.Build();
        try
        {
            await host.StartAsync(cancellationToken);
            Volatile.Write(ref started, true);
            return new ClusterClientHost(host, connection);
        }
        catch (Exception e)
        {
            await StopQuietlyAsync(host);
            host.Dispose();
            if (e is OperationCanceledException && cancellationToken.IsCancellationRequested) throw;
            throw ClusterConnectionException.Explain(connection, e, timeout);
        }
    }

    /// <summary>Leaves the cluster (waits at most 10 s) and disposes the host.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        await StopQuietlyAsync(Host);
        Host.Dispose();
    }

    private static async Task StopQuietlyAsync(IHost host)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            await host.StopAsync(timeout.Token);
        }
        catch (Exception)
        {
            // Leaving a cluster that is gone fails; there is nothing left to do.
        }
    }

    /// <summary>A lifetime that leaves signals alone: the client lives inside a command that handles Ctrl+C itself.</summary>
    private sealed class PassiveLifetime : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
