namespace Adef.Cli;

/// <summary>The options of <c>adef worker</c> as given on the command line.</summary>
/// <param name="Cluster">--cluster.</param>
/// <param name="ClusterId">--cluster-id.</param>
/// <param name="Device">--device.</param>
/// <param name="SiloPort">--silo-port (0 = free).</param>
/// <param name="GatewayPort">--gateway-port (0 = free).</param>
/// <param name="AdvertisedAddress">--advertised-address, or null.</param>
/// <param name="Certificate">--certificate, or null.</param>
/// <param name="CertificatePasswordEnv">--certificate-password-env, or null.</param>
/// <param name="Threads">--threads.</param>
internal sealed record WorkerSettings(string Cluster, string ClusterId, string Device, int SiloPort, int GatewayPort,
    string? AdvertisedAddress, string? Certificate, string? CertificatePasswordEnv, int Threads);
