using System.Net;

namespace Adef.Cluster.Tests;

/// <summary>The CLI's --cluster/--cluster-id/--certificate strings, and the silo's endpoints.</summary>
public sealed class ClusterConnectionTests
{
    [Theory]
    [InlineData("redis://10.0.0.5:6379", "10.0.0.5", 6379, null, null, false)]
    [InlineData("REDIS://redis.lab:6380/", "redis.lab", 6380, null, null, false)]
    [InlineData("redis://alice:s3cret@redis.lab:6379?ssl=true", "redis.lab", 6379, "alice", "s3cret", true)]
    [InlineData("rediss://:s3cret@10.0.0.5:6379", "10.0.0.5", 6379, null, "s3cret", true)]
    [InlineData("redis://bob:p%40ss%3Aw0rd@[::1]:7000?ssl=false", "::1", 7000, "bob", "p@ss:w0rd", false)]
    public void RedisUrlsAreRead(string url, string host, int port, string? user, string? password, bool redisTls)
    {
        ClusterConnection c = ClusterConnection.Parse(url, " lab ");
        Assert.Equal(ClusterMembership.Redis, c.Membership);
        Assert.Equal((host, port, user, password, redisTls), (c.Host, c.Port, c.User, c.Password, c.RedisTls));
        Assert.Equal("lab", c.ClusterId);
        Assert.False(c.UsesTls);
        StackExchange.Redis.ConfigurationOptions redis = c.RedisConfiguration();
        Assert.Equal((user, password, redisTls), (redis.User, redis.Password, redis.Ssl));
        Assert.Single(redis.EndPoints);
    }

    [Fact]
    public void LocalhostIsDevelopmentClustering()
    {
        ClusterConnection c = ClusterConnection.Parse("localhost://127.0.0.1:30000", "dev");
        Assert.Equal((ClusterMembership.Localhost, 30000), (c.Membership, c.Port));
        Assert.Equal("localhost://127.0.0.1:30000", c.RedactedUrl);
        Assert.Throws<InvalidOperationException>(() => c.RedisConfiguration());
    }

    [Fact]
    public void PasswordsAreNeverShown()
    {
        string pfx = Path.GetTempFileName();
        try
        {
            ClusterConnection c = ClusterConnection.Parse("redis://alice:s3cret@redis.lab:6379", "lab", pfx, "pfx-s3cret");
            Assert.True(c.UsesTls);
            Assert.Equal("redis://alice:***@redis.lab:6379", c.RedactedUrl);
            Assert.Equal($"cluster 'lab' at redis://alice:***@redis.lab:6379 (TLS certificate {Path.GetFileName(pfx)})", c.ToString());
            Assert.DoesNotContain("s3cret", c.ToString());
            Assert.DoesNotContain("s3cret", $"{c}");
            Assert.Equal("cluster 'lab' at rediss://redis.lab:6379 (plaintext)", ClusterConnection.Parse("redis://redis.lab:6379?ssl=true", "lab").ToString());
            // A malformed URL's message hides what stands before the '@' too.
            var e = Assert.Throws<ArgumentException>(() => ClusterConnection.Parse("redis://alice:s3cret@redis.lab", "lab"));
            Assert.DoesNotContain("s3cret", e.Message);
            Assert.Contains("redis://***@redis.lab", e.Message);
        }
        finally
        {
            File.Delete(pfx);
        }
    }

    [Theory]
    [InlineData("redis.lab:6379", "it has no scheme")]
    [InlineData("http://redis.lab:6379", "the scheme must be redis, rediss or localhost, not 'http'")]
    [InlineData("redis://redis.lab", "it has no port")]
    [InlineData("redis://redis.lab:", "the port must be a number from 1 to 65535, not ''")]
    [InlineData("redis://redis.lab:0", "the port must be a number from 1 to 65535, not '0'")]
    [InlineData("redis://redis.lab:70000", "the port must be a number from 1 to 65535, not '70000'")]
    [InlineData("redis://redis.lab:63x9", "not '63x9'")]
    [InlineData("redis://:6379", "it has no host")]
    [InlineData("redis://red is:6379", "is not a host name or IP address")]
    [InlineData("redis://redis.lab:6379/0", "a path (such as a database number) is not supported")]
    [InlineData("redis://redis.lab:6379?db=1", "unknown query parameter 'db'")]
    [InlineData("redis://redis.lab:6379?ssl=yes", "ssl must be true or false, not 'yes'")]
    [InlineData("rediss://redis.lab:6379?ssl=false", "rediss:// always uses TLS")]
    [InlineData("redis://::1:6379", "write an IPv6 address in brackets")]
    [InlineData("redis://[::1:6379", "lacks its ']'")]
    [InlineData("localhost://10.0.0.5:30000", "the host must be 127.0.0.1, ::1 or localhost")]
    [InlineData("localhost://u:p@127.0.0.1:30000", "localhost:// takes no user or password")]
    public void MalformedUrlsAreRefusedNamingTheOption(string url, string why)
    {
        var e = Assert.Throws<ArgumentException>(() => ClusterConnection.Parse(url, "lab"));
        Assert.Equal("cluster", e.ParamName);
        Assert.StartsWith("--cluster must be redis://[user:password@]HOST:PORT[?ssl=true]", e.Message);
        Assert.Contains(why, e.Message);
    }

    [Theory]
    [InlineData("", "--cluster-id must not be empty")]
    [InlineData("   ", "--cluster-id must not be empty")]
    [InlineData("my lab", "--cluster-id must not contain spaces")]
    public void TheClusterIdIsRequired(string id, string message)
    {
        var e = Assert.Throws<ArgumentException>(() => ClusterConnection.Parse("redis://redis.lab:6379", id));
        Assert.StartsWith(message, e.Message);
    }

    [Fact]
    public void AMissingCertificateIsNamed()
    {
        var e = Assert.Throws<ArgumentException>(() => ClusterConnection.Parse("redis://redis.lab:6379", "lab", "/no/such/cluster.pfx"));
        Assert.StartsWith("--certificate: no such file '/no/such/cluster.pfx'", e.Message);
    }

    [Fact]
    public void FreePortsAreResolvedAndBadPortsRefused()
    {
        SiloEndpoints a = SiloEndpoints.Default.Resolve();
        Assert.InRange(a.SiloPort, 1, 65535);
        Assert.InRange(a.GatewayPort, 1, 65535);
        Assert.NotEqual(a.SiloPort, a.GatewayPort);
        Assert.NotNull(a.AdvertisedAddress);
        Assert.Equal(new SiloEndpoints(11111, 30000, IPAddress.Loopback), new SiloEndpoints(11111, 30000, IPAddress.Loopback).Resolve());
        Assert.Contains("--silo-port", Assert.Throws<ArgumentOutOfRangeException>(() => new SiloEndpoints(SiloPort: 70000).Resolve()).Message);
        Assert.Contains("--gateway-port", Assert.Throws<ArgumentOutOfRangeException>(() => new SiloEndpoints(GatewayPort: -1).Resolve()).Message);
        Assert.Contains("must differ", Assert.Throws<ArgumentException>(() => new SiloEndpoints(5000, 5000).Resolve()).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new FailureDetection(TimeSpan.Zero, 2).Validate());
        Assert.Throws<ArgumentOutOfRangeException>(() => new FailureDetection(TimeSpan.FromSeconds(1), 0).Validate());
    }
}
