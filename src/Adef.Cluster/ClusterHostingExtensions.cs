using System.Net;
using Microsoft.Extensions.Hosting;
using Orleans.Configuration;
using Orleans.Hosting;

namespace Adef.Cluster;

/// <summary>Joins silos and clients to an adef cluster: membership, ids, endpoints, failure detection and TLS.</summary>
public static class ClusterHostingExtensions
{
    /// <summary>How long a client waits for a call's answer before it gives the call up (and the caller retries).</summary>
    public static readonly TimeSpan ClientResponseTimeout = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Configures a silo of the cluster: membership in Redis (or development clustering for <c>localhost://</c>), the
    /// cluster id and service id <see cref="ClusterConnection.ServiceId"/>, the silo and gateway ports and the advertised
    /// address, failure detection, and mutual TLS when the connection has a certificate (plaintext otherwise: the network
    /// must then be trusted). Add the work with <see cref="ClusterWorkerExtensions.AddAdefWorker{TWorker}"/>.
    /// </summary>
    /// <param name="silo">The silo.</param>
    /// <param name="connection">The cluster.</param>
    /// <param name="endpoints">Ports and address; null or port 0 picks free ports now (<see cref="SiloEndpoints.Resolve"/>).
    /// With <c>localhost://</c> the gateway port is the URL's port and the address is loopback.</param>
    /// <param name="failureDetection">How fast dead silos are declared; null is <see cref="FailureDetection.Default"/> (2 s × 2).</param>
    /// <exception cref="ArgumentException">An endpoint is invalid, or the certificate cannot be used (the message names the option).</exception>
    public static ISiloBuilder UseAdefCluster(this ISiloBuilder silo, ClusterConnection connection, SiloEndpoints? endpoints = null,
        FailureDetection? failureDetection = null)
    {
        ArgumentNullException.ThrowIfNull(silo);
        ArgumentNullException.ThrowIfNull(connection);
        failureDetection ??= FailureDetection.Default;
        failureDetection.Validate();
        endpoints ??= SiloEndpoints.Default;
        if (connection.Membership == ClusterMembership.Localhost)
        {
            if (endpoints.GatewayPort != 0 && endpoints.GatewayPort != connection.Port)
                throw new ArgumentException(
                    $"--gateway-port {endpoints.GatewayPort} differs from the port of {connection.RedactedUrl}, which is the development silo's gateway.", nameof(endpoints));
            SiloEndpoints resolved = (endpoints with { GatewayPort = connection.Port, AdvertisedAddress = IPAddress.Loopback }).Resolve();
            silo.UseLocalhostClustering(resolved.SiloPort, resolved.GatewayPort, null, ClusterConnection.ServiceId, connection.ClusterId);
        }
        else
        {
            SiloEndpoints resolved = endpoints.Resolve();
            silo.UseRedisClustering(o => o.ConfigurationOptions = connection.RedisConfiguration());
            silo.Configure<ClusterOptions>(o =>
            {
                o.ClusterId = connection.ClusterId;
                o.ServiceId = ClusterConnection.ServiceId;
            });
            // Listen on every interface, except a loopback silo, which stays on loopback.
            bool loopback = IPAddress.IsLoopback(resolved.AdvertisedAddress!);
            silo.ConfigureEndpoints(resolved.AdvertisedAddress!, resolved.SiloPort, resolved.GatewayPort, listenOnAnyHostAddress: !loopback);
        }
        silo.Configure<ClusterMembershipOptions>(o =>
        {
            o.ProbeTimeout = failureDetection.ProbeTimeout;
            o.NumMissedProbesLimit = failureDetection.MissedProbes;
        });
        if (connection.UsesTls)
        {
            var certificate = ClusterCertificate.Load(connection);
            silo.UseTls(certificate, o => ClusterCertificate.Configure(o, certificate));
        }
        return silo;
    }

    /// <summary>
    /// Configures a client of the cluster: the same membership (it finds the silos' gateways there), ids and TLS as
    /// <see cref="UseAdefCluster(ISiloBuilder, ClusterConnection, SiloEndpoints?, FailureDetection?)"/>.
    /// <see cref="ClusterClientHost.StartAsync"/> starts such a client with a bounded connection time.
    /// </summary>
    /// <param name="client">The client.</param>
    /// <param name="connection">The cluster.</param>
    /// <exception cref="ArgumentException">The certificate cannot be used (the message names <c>--certificate</c>).</exception>
    public static IClientBuilder UseAdefCluster(this IClientBuilder client, ClusterConnection connection)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(connection);
        if (connection.Membership == ClusterMembership.Localhost)
            client.UseLocalhostClustering(connection.Port, ClusterConnection.ServiceId, connection.ClusterId);
        else
        {
            client.UseRedisClustering(o => o.ConfigurationOptions = connection.RedisConfiguration());
            client.Configure<ClusterOptions>(o =>
            {
                o.ClusterId = connection.ClusterId;
                o.ServiceId = ClusterConnection.ServiceId;
            });
        }
        // Every call a client makes is short (submit, collect one shard of rows, acknowledge): when the gateway it talks
        // through dies, give up on the lost call after 10 s, not Orleans' default 30 s, and retry through another.
        client.Configure<ClientMessagingOptions>(o => o.ResponseTimeout = ClientResponseTimeout);
        if (connection.UsesTls)
        {
            var certificate = ClusterCertificate.Load(connection);
            client.UseTls(certificate, o => ClusterCertificate.Configure(o, certificate));
        }
        return client;
    }
}
