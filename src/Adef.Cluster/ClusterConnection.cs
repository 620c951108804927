using System.Globalization;
using System.Net;
using System.Text;
using StackExchange.Redis;

namespace Adef.Cluster;

/// <summary>How the silos of a cluster find each other (Orleans' membership table).</summary>
public enum ClusterMembership
{
    /// <summary>A Redis server holds the membership table (<c>redis://</c> or <c>rediss://</c>): the production choice.</summary>
    Redis,

    /// <summary>
    /// Orleans' development clustering (<c>localhost://127.0.0.1:PORT</c>): one silo on this machine whose gateway listens on
    /// PORT, and clients of that machine. For tests and trials; nothing is shared with other machines.
    /// </summary>
    Localhost,
}

/// <summary>
/// Where a cluster is and how to join it: the membership (a Redis server, or development clustering on this machine), the
/// cluster id, and the optional TLS certificate every silo and client of the cluster shares. Made by <see cref="Parse"/>
/// from the CLI's <c>--cluster</c>, <c>--cluster-id</c> and <c>--certificate</c>; <see cref="ToString"/> never shows a
/// password.
/// </summary>
/// <remarks>
/// Without a certificate the silos and clients talk in plaintext and accept anyone who reaches their ports: the network must
/// be trusted. With one, every connection is mutual TLS and only a peer presenting a certificate with the same public key is
/// accepted (a self-signed certificate copied to every machine works).
/// </remarks>
public sealed record ClusterConnection
{
    /// <summary>The Orleans service id of every adef cluster.</summary>
    public const string ServiceId = "adef";

    /// <summary>The forms <see cref="Parse"/> accepts, as error messages show them.</summary>
    public const string UrlForms = "redis://[user:password@]HOST:PORT[?ssl=true], rediss://[user:password@]HOST:PORT or localhost://127.0.0.1:PORT";

    private ClusterConnection(ClusterMembership membership, string host, int port, string clusterId)
    {
        Membership = membership;
        Host = host;
        Port = port;
        ClusterId = clusterId;
    }

    /// <summary>The membership kind.</summary>
    public ClusterMembership Membership { get; }

    /// <summary>The Redis server's host name or IP address (without brackets), or the loopback address of development clustering.</summary>
    public string Host { get; }

    /// <summary>The Redis server's port, or the development silo's gateway port.</summary>
    public int Port { get; }

    /// <summary>The Redis user (ACL), or null.</summary>
    public string? User { get; private init; }

    /// <summary>The Redis password, or null. Never shown by <see cref="ToString"/>.</summary>
    public string? Password { get; private init; }

    /// <summary>Whether the connection to Redis uses TLS (<c>rediss://</c> or <c>?ssl=true</c>); the server's certificate is checked against the machine's trusted authorities.</summary>
    public bool RedisTls { get; private init; }

    /// <summary>The cluster id (Orleans' <c>ClusterOptions.ClusterId</c>): silos and clients with the same id form one cluster; one Redis server can hold several.</summary>
    public string ClusterId { get; }

    /// <summary>The PKCS#12 (.pfx) file with the cluster's certificate and its private key, or null for plaintext.</summary>
    public string? CertificatePath { get; private init; }

    /// <summary>The password of <see cref="CertificatePath"/>, or null. Never shown by <see cref="ToString"/>.</summary>
    public string? CertificatePassword { get; private init; }

    /// <summary>Whether silos and clients talk mutual TLS (a certificate is given).</summary>
    public bool UsesTls => CertificatePath is not null;

    /// <summary>HOST:PORT, with brackets around an IPv6 address.</summary>
    public string Endpoint => $"{(Host.Contains(':') ? $"[{Host}]" : Host)}:{Port.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>Reads the CLI's strings.</summary>
    /// <param name="cluster"><c>--cluster</c>: <c>redis://[user:password@]HOST:PORT[?ssl=true]</c>, <c>rediss://…</c> (TLS to
    /// Redis) or <c>localhost://127.0.0.1:PORT</c> (development clustering: one silo on this machine, its gateway on PORT).
    /// The user and password are URL-decoded.</param>
    /// <param name="clusterId"><c>--cluster-id</c>: a non-empty id without spaces or control characters.</param>
    /// <param name="certificatePath"><c>--certificate</c>: a PKCS#12 (.pfx) file with the cluster's certificate and private
    /// key, or null for plaintext. It is read when a silo or client is configured.</param>
    /// <param name="certificatePassword">The password of the .pfx file, or null.</param>
    /// <exception cref="ArgumentException">A value is malformed; the message names the option and never shows a password.</exception>
    public static ClusterConnection Parse(string cluster, string clusterId, string? certificatePath = null, string? certificatePassword = null)
    {
        ArgumentNullException.ThrowIfNull(cluster);
        ArgumentNullException.ThrowIfNull(clusterId);
        string id = clusterId.Trim();
        if (id.Length == 0)
            throw new ArgumentException("--cluster-id must not be empty.", nameof(clusterId));
        if (id.Any(c => char.IsWhiteSpace(c) || char.IsControl(c)))
            throw new ArgumentException($"--cluster-id must not contain spaces or control characters, not '{id}'.", nameof(clusterId));
        if (certificatePath is not null)
        {
            if (certificatePath.Trim().Length == 0)
                throw new ArgumentException("--certificate must name a .pfx file.", nameof(certificatePath));
            if (!File.Exists(certificatePath))
                throw new ArgumentException($"--certificate: no such file '{certificatePath}'.", nameof(certificatePath));
        }

        string text = cluster.Trim();
        int schemeEnd = text.IndexOf("://", StringComparison.Ordinal);
        if (schemeEnd <= 0)
            throw Malformed(text, "it has no scheme");
        string scheme = text[..schemeEnd].ToLowerInvariant();
        ClusterMembership membership;
        bool redisTls = false;
        switch (scheme)
        {
            case "redis":
                membership = ClusterMembership.Redis;
                break;
            case "rediss":
                membership = ClusterMembership.Redis;
                redisTls = true;
                break;
            case "localhost":
                membership = ClusterMembership.Localhost;
                break;
            default:
                throw Malformed(text, $"the scheme must be redis, rediss or localhost, not '{scheme}'");
        }

        string rest = text[(schemeEnd + 3)..];
        string? query = null;
        int queryStart = rest.IndexOf('?');
        if (queryStart >= 0)
        {
            query = rest[(queryStart + 1)..];
            rest = rest[..queryStart];
        }
        if (rest.EndsWith('/')) rest = rest[..^1];
        if (rest.Contains('/') || rest.Contains('#'))
            throw Malformed(text, "a path (such as a database number) is not supported");

        string? user = null, password = null;
        int at = rest.LastIndexOf('@');
        if (at >= 0)
        {
            if (membership == ClusterMembership.Localhost)
                throw Malformed(text, "localhost:// takes no user or password");
            string userInfo = rest[..at];
            rest = rest[(at + 1)..];
            int colon = userInfo.IndexOf(':');
            string rawUser = colon >= 0 ? userInfo[..colon] : userInfo;
            string? rawPassword = colon >= 0 ? userInfo[(colon + 1)..] : null;
            user = rawUser.Length == 0 ? null : Uri.UnescapeDataString(rawUser);
            password = string.IsNullOrEmpty(rawPassword) ? null : Uri.UnescapeDataString(rawPassword);
        }

        (string host, string? portText) = SplitHostPort(text, rest);
        if (host.Length == 0)
            throw Malformed(text, "it has no host");
        if (portText is null)
            throw Malformed(text, "it has no port (the Redis default is 6379: write HOST:6379)");
        if (!int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out int port) || port is < 1 or > 65535)
            throw Malformed(text, $"the port must be a number from 1 to 65535, not '{portText}'");
        if (Uri.CheckHostName(host) == UriHostNameType.Unknown)
            throw Malformed(text, $"'{host}' is not a host name or IP address");
        if (membership == ClusterMembership.Localhost && !IsLoopback(host))
            throw Malformed(text, $"localhost:// clustering stays on this machine: the host must be 127.0.0.1, ::1 or localhost, not '{host}'");

        if (query is not null)
        {
            foreach (string pair in query.Split('&', StringSplitOptions.RemoveEmptyEntries))
            {
                int eq = pair.IndexOf('=');
                string key = (eq >= 0 ? pair[..eq] : pair).ToLowerInvariant();
                string value = eq >= 0 ? pair[(eq + 1)..].ToLowerInvariant() : "";
                if (membership != ClusterMembership.Redis || key != "ssl")
                    throw Malformed(text, $"unknown query parameter '{key}' (only ssl=true|false, for Redis)");
                redisTls = value switch
                {
                    "true" => true,
                    "false" => scheme == "rediss" ? throw Malformed(text, "rediss:// always uses TLS; drop ?ssl=false") : false,
                    _ => throw Malformed(text, $"ssl must be true or false, not '{value}'"),
                };
            }
        }

        return new ClusterConnection(membership, host, port, id)
        {
            User = user,
            Password = password,
            RedisTls = redisTls,
            CertificatePath = certificatePath,
            CertificatePassword = certificatePassword,
        };
    }

    /// <summary>The URL in its canonical form, with the password replaced by <c>***</c>.</summary>
    public string RedactedUrl
    {
        get
        {
            var url = new StringBuilder();
            url.Append(Membership == ClusterMembership.Localhost ? "localhost" : RedisTls ? "rediss" : "redis").Append("://");
            if (User is not null || Password is not null)
            {
                url.Append(Uri.EscapeDataString(User ?? ""));
                if (Password is not null) url.Append(":***");
                url.Append('@');
            }
            return url.Append(Endpoint).ToString();
        }
    }

    /// <summary>
    /// The cluster for messages, such as <c>cluster 'lab' at redis://alice:***@10.0.0.5:6379 (TLS certificate cluster.pfx)</c>;
    /// passwords are never shown.
    /// </summary>
    public override string ToString() =>
        $"cluster '{ClusterId}' at {RedactedUrl} ({(UsesTls ? $"TLS certificate {Path.GetFileName(CertificatePath)}" : "plaintext")})";

    /// <summary>The StackExchange.Redis configuration of the membership table's connection (5 s to connect).</summary>
    internal ConfigurationOptions RedisConfiguration()
    {
        if (Membership != ClusterMembership.Redis)
            throw new InvalidOperationException($"{RedactedUrl} is not a Redis cluster.");
        var options = new ConfigurationOptions
        {
            User = User,
            Password = Password,
            Ssl = RedisTls,
            AbortOnConnectFail = true,
            ConnectTimeout = 5000,
            ConnectRetry = 1,
            ClientName = $"adef-{ClusterId}",
        };
        if (RedisTls) options.SslHost = Host;
        if (IPAddress.TryParse(Host, out IPAddress? address)) options.EndPoints.Add(address, Port);
        else options.EndPoints.Add(Host, Port);
        return options;
    }

    private static (string Host, string? Port) SplitHostPort(string text, string hostPort)
    {
        if (hostPort.StartsWith('['))
        {
            int close = hostPort.IndexOf(']');
            if (close < 0) throw Malformed(text, "an IPv6 address lacks its ']'");
            string host = hostPort[1..close];
            string after = hostPort[(close + 1)..];
            if (after.Length == 0) return (host, null);
            if (!after.StartsWith(':')) throw Malformed(text, "expected ':PORT' after the IPv6 address");
            return (host, after[1..]);
        }
        int colon = hostPort.LastIndexOf(':');
        if (colon < 0) return (hostPort, null);
        if (hostPort.IndexOf(':') != colon) throw Malformed(text, "write an IPv6 address in brackets, as [::1]:6379");
        return (hostPort[..colon], hostPort[(colon + 1)..]);
    }

    private static bool IsLoopback(string host) =>
        host.Equals("localhost", StringComparison.OrdinalIgnoreCase) || (IPAddress.TryParse(host, out IPAddress? a) && IPAddress.IsLoopback(a));

    private static ArgumentException Malformed(string text, string why) =>
        new($"--cluster must be {UrlForms}, not '{Redact(text)}': {why}.", "cluster");

    /// <summary>The text with whatever stands between <c>://</c> and the last <c>@</c> (user and password) replaced by <c>***</c>.</summary>
    internal static string Redact(string text)
    {
        int at = text.LastIndexOf('@');
        if (at < 0) return text;
        int start = text.IndexOf("://", StringComparison.Ordinal);
        start = start >= 0 && start < at ? start + 3 : 0;
        return text[..start] + "***" + text[at..];
    }
}
