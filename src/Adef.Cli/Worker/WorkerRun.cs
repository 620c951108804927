using System.Globalization;
using System.Net;
using Adef.Cluster;
using Adef.MLNet.Classifiers;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Orleans.Hosting;
using Orleans.Runtime;

namespace Adef.Cli;

/// <summary>
/// Runs <c>adef worker</c>: checks the options, hosts a silo (a generic host with
/// <see cref="ClusterHostingExtensions.UseAdefCluster(ISiloBuilder, ClusterConnection, SiloEndpoints?, FailureDetection?)"/>
/// and <see cref="ClusterWorkerExtensions.AddAdefWorker{TWorker}"/> with <see cref="AttackShardWorker"/>), prints one line
/// when it has joined, and leaves the cluster on Ctrl+C or SIGTERM.
/// </summary>
internal static class WorkerRun
{
    /// <summary>How long joining may take before the worker says it is still trying.</summary>
    private static readonly TimeSpan SlowJoin = TimeSpan.FromSeconds(10);

    /// <summary>How long leaving the cluster may take before the host gives up waiting.</summary>
    private static readonly TimeSpan ShutdownTimeout = TimeSpan.FromSeconds(10);

    /// <summary>Runs the worker until it is stopped; returns <see cref="ExitCodes.Done"/>.</summary>
    /// <exception cref="UsageException">An option is invalid.</exception>
    /// <exception cref="ClusterConnectionException">The worker could not join (Redis unreachable, a port in use, ...).</exception>
    public static int Execute(WorkerSettings s, CancellationToken cancel) => ExecuteAsync(s, cancel).GetAwaiter().GetResult();

    private static async Task<int> ExecuteAsync(WorkerSettings s, CancellationToken cancel)
    {
        if (!ComputeDevice.TryParse(s.Device, out _))
            throw new UsageException($"--device must be cpu, cuda or cuda:N, not '{s.Device}'.");
        if (s.Threads < 1)
            throw new UsageException($"--threads must be at least 1, not {s.Threads}.");
        if (s.SiloPort is < 0 or > 65535)
            throw new UsageException($"--silo-port must be from 0 (a free port) to 65535, not {s.SiloPort}.");
        if (s.GatewayPort is < 0 or > 65535)
            throw new UsageException($"--gateway-port must be from 0 (a free port) to 65535, not {s.GatewayPort}.");
        IPAddress? advertised = null;
        if (s.AdvertisedAddress is not null
            && (!IPAddress.TryParse(s.AdvertisedAddress, out advertised) || advertised.Equals(IPAddress.Any) || advertised.Equals(IPAddress.IPv6Any)))
            throw new UsageException($"--advertised-address must be this machine's IP address as the others reach it, such as 10.0.0.5, not '{s.AdvertisedAddress}'.");
        ClusterConnection connection = ClusterOptions.Connection(s.Cluster, s.ClusterId, s.Certificate, s.CertificatePasswordEnv);
        var endpoints = new SiloEndpoints(s.SiloPort, s.GatewayPort, advertised);

        HostApplicationBuilder builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        bool started = false;
        var fatal = new FatalError();
        ClusterLogging.WarningsToStandardError(builder.Logging, () => Volatile.Read(ref started));
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = ShutdownTimeout);
        builder.Services.Configure<ConsoleLifetimeOptions>(o => o.SuppressStatusMessages = true);
        ClusterOptions.Usage(() => builder.UseOrleans(silo =>
        {
            silo.UseAdefCluster(connection, endpoints);
            silo.AddAdefWorker<AttackShardWorker>(o => o.Threads = s.Threads);
            // The device reaches the worker through a factory: the other constructor arguments still come from the container.
            silo.Services.Replace(ServiceDescriptor.Singleton<IShardWorker>(services =>
                ActivatorUtilities.CreateInstance<AttackShardWorker>(services, s.Device)));
            // Declared dead (or another fatal error): stop the host and say why, instead of Orleans' FailFast and its stack dump.
            silo.Services.AddSingleton(fatal);
            silo.Services.Replace(ServiceDescriptor.Singleton<IFatalErrorHandler, StopOnFatalError>());
        }));

        IHost host = builder.Build();
        var lifetime = host.Services.GetRequiredService<IHostApplicationLifetime>();
        using CancellationTokenRegistration stop = cancel.Register(lifetime.StopApplication);
        try
        {
            Task start = host.StartAsync(cancel);
            if (await Task.WhenAny(start, Task.Delay(SlowJoin, cancel)) != start)
                Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"adef worker: still joining {connection} after {SlowJoin.TotalSeconds:0} s: the other workers do not answer yet " +
                    $"(do they use the same --certificate, or none? can they reach this worker at its --advertised-address and --silo-port?)"));
            await start;
        }
        catch (Exception) when (fatal.Reason is not null)
        {
            await LeaveAsync(host);
            throw fatal.Explain(connection);
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested || lifetime.ApplicationStopping.IsCancellationRequested)
        {
            // Ctrl+C while joining.
            await LeaveAsync(host);
            return ExitCodes.Done;
        }
        catch (Exception e)
        {
            await LeaveAsync(host);
            throw ClusterConnectionException.ForSilo(connection, e);
        }
        Volatile.Write(ref started, true);

        var silo = host.Services.GetRequiredService<ILocalSiloDetails>();
        string joined = string.Create(CultureInfo.InvariantCulture,
            $"adef worker: joined {connection} as silo {silo.SiloAddress.Endpoint}, gateway {silo.GatewayAddress?.Endpoint.ToString() ?? "none"}; " +
            $"device {s.Device}, {s.Threads} thread(s). Ctrl+C or SIGTERM leaves the cluster.");
        Console.Out.WriteLine(joined);
        Console.Out.Flush();

        // Ctrl+C and SIGTERM (the console lifetime), or the caller's token, stop the application.
        var stopping = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using (lifetime.ApplicationStopping.Register(() => stopping.TrySetResult()))
            await stopping.Task;
        await LeaveAsync(host);
        if (fatal.Reason is not null) throw fatal.Explain(connection);
        return ExitCodes.Done;
    }

    /// <summary>
    /// Stops the silo (it leaves the cluster; the shards it held go to other workers when their leases expire) and disposes
    /// it, waiting at most <see cref="ShutdownTimeout"/> and a little more: a silo whose membership table is unreachable
    /// (Redis gone) would otherwise try for a minute or more. The others then declare it dead as if it had been killed.
    /// </summary>
    private static async Task LeaveAsync(IHost host)
    {
        using var timeout = new CancellationTokenSource(ShutdownTimeout);
        Task leaving = Task.Run(async () =>
        {
            try
            {
                await host.StopAsync(timeout.Token);
            }
            finally
            {
                host.Dispose();
            }
        });
        if (await Task.WhenAny(leaving, Task.Delay(ShutdownTimeout + TimeSpan.FromSeconds(2))) != leaving)
        {
            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"adef worker: leaving the cluster took more than {ShutdownTimeout.TotalSeconds:0} s (is the membership's Redis reachable?); stopped without leaving."));
            return;
        }
        try
        {
            await leaving;
        }
        catch (Exception)
        {
            // A silo that failed to start may fail to stop as well; what failed is reported by the caller.
        }
    }

    /// <summary>Why Orleans gave up on this silo, once it has (<see cref="StopOnFatalError"/>).</summary>
    private sealed class FatalError
    {
        private string? _reason;
        private Exception? _exception;

        /// <summary>What Orleans said, or null while nothing is fatal.</summary>
        public string? Reason => Volatile.Read(ref _reason);

        /// <summary>Keeps the first fatal error.</summary>
        public void Record(string? context, Exception? exception)
        {
            Interlocked.CompareExchange(ref _exception, exception, null);
            Interlocked.CompareExchange(ref _reason, context ?? exception?.Message ?? "unknown", null);
        }

        /// <summary>The exception to report (one line, exit 1): declared dead, with what to check; any other fatal error, Orleans' words.</summary>
        public Exception Explain(ClusterConnection connection)
        {
            string reason = Reason ?? "unknown";
            if (reason.Contains("I am dead", StringComparison.OrdinalIgnoreCase) || reason.Contains("as Dead", StringComparison.Ordinal))
                return new ClusterConnectionException(connection,
                    $"The other workers of {connection} declared this worker dead, and it stopped: every worker must use the same --certificate " +
                    "(or none), and the others must reach this one at its --advertised-address and --silo-port. A worker declared dead " +
                    "cannot come back: start it again.");
            int membership = reason.IndexOf(" Membership: [", StringComparison.Ordinal);
            if (membership > 0) reason = reason[..membership];
            return new ClusterConnectionException(connection, $"Orleans stopped the worker of {connection} after a fatal error: {reason}", _exception);
        }
    }

    /// <summary>Orleans' handler of fatal errors (such as "I have been told I am dead"): records the error and stops the host.</summary>
    private sealed class StopOnFatalError(FatalError fatal, IHostApplicationLifetime lifetime) : IFatalErrorHandler
    {
        public bool IsUnexpected(Exception exception) => exception is not ThreadAbortException;

        public void OnFatalException(object? sender, string? context, Exception? exception)
        {
            fatal.Record(context, exception);
            lifetime.StopApplication();
        }
    }
}
