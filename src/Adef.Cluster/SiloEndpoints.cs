using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;

namespace Adef.Cluster;

/// <summary>
/// The ports a silo listens on and the address it tells the others. Port 0 (the default) picks a free port when the silo is
/// configured, so several workers can run on one machine without choosing ports; give fixed ports where a firewall or a
/// container's port mapping needs them.
/// </summary>
/// <param name="SiloPort">The silo-to-silo port (<c>--silo-port</c>), or 0 for a free one.</param>
/// <param name="GatewayPort">The port clients connect to (<c>--gateway-port</c>), or 0 for a free one.</param>
/// <param name="AdvertisedAddress">The address the other silos and the clients reach this silo at (<c>--advertised-address</c>);
/// null picks this machine's first IPv4 address that is up and not loopback (loopback when there is none). In Kubernetes,
/// the pod's IP.</param>
public sealed record SiloEndpoints(int SiloPort = 0, int GatewayPort = 0, IPAddress? AdvertisedAddress = null)
{
    /// <summary>Free ports and the default address.</summary>
    public static SiloEndpoints Default { get; } = new();

    /// <summary>The endpoints with free ports in place of 0 and the default address in place of null.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A port is outside 0–65535; the message names the option.</exception>
    /// <exception cref="ArgumentException">Both ports are the same.</exception>
    public SiloEndpoints Resolve()
    {
        if (SiloPort is < 0 or > 65535)
            throw new ArgumentOutOfRangeException(nameof(SiloPort), SiloPort, "--silo-port must be from 0 (a free port) to 65535.");
        if (GatewayPort is < 0 or > 65535)
            throw new ArgumentOutOfRangeException(nameof(GatewayPort), GatewayPort, "--gateway-port must be from 0 (a free port) to 65535.");
        if (SiloPort != 0 && SiloPort == GatewayPort)
            throw new ArgumentException($"--silo-port and --gateway-port must differ (both are {SiloPort}).", nameof(GatewayPort));
        int silo = SiloPort == 0 ? FreePort(GatewayPort) : SiloPort;
        int gateway = GatewayPort == 0 ? FreePort(silo) : GatewayPort;
        return new SiloEndpoints(silo, gateway, AdvertisedAddress ?? DefaultAddress());
    }

    /// <summary>
    /// A TCP port that is free now: the one the system gives a listener bound to port 0 (another process may still take it
    /// before the silo binds it; the silo then fails to start and says so).
    /// </summary>
    /// <param name="avoid">A port not to return (the other port of the same silo), or 0.</param>
    public static int FreePort(int avoid = 0)
    {
        while (true)
        {
            var listener = new TcpListener(IPAddress.Any, 0);
            try
            {
                listener.Start();
                int port = ((IPEndPoint)listener.LocalEndpoint).Port;
                if (port != avoid) return port;
            }
            finally
            {
                listener.Stop();
            }
        }
    }

    /// <summary>The first IPv4 unicast address of an interface that is up and not loopback (interfaces with a gateway first), else loopback.</summary>
    internal static IPAddress DefaultAddress()
    {
        try
        {
            IPAddress? best = NetworkInterface.GetAllNetworkInterfaces()
                .Where(n => n.OperationalStatus == OperationalStatus.Up && n.NetworkInterfaceType is not (NetworkInterfaceType.Loopback or NetworkInterfaceType.Tunnel))
                .Select(n => n.GetIPProperties())
                .OrderByDescending(p => p.GatewayAddresses.Count > 0)
                .SelectMany(p => p.UnicastAddresses)
                .Select(u => u.Address)
                .FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork && !IPAddress.IsLoopback(a));
            return best ?? IPAddress.Loopback;
        }
        catch (NetworkInformationException)
        {
            return IPAddress.Loopback;
        }
    }
}
