using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans;
using Orleans.Hosting;
using Orleans.Runtime;
using Xunit.Abstractions;

namespace Adef.Cluster.Tests;

/// <summary>
/// Real hosting on loopback (generic hosts, not the TestingHost): mutual TLS with a shared self-signed certificate on
/// development clustering, and Redis membership when <c>redis-server</c> is on PATH. Each step is bounded in time.
/// </summary>
public sealed class HostingTests(ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);
    private readonly string _folder = Directory.CreateTempSubdirectory("adef-hosting-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    /// <summary>A self-signed certificate for server and client authentication, written as a .pfx file.</summary>
    private string Certificate(string name, string password)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            [new Oid("1.3.6.1.5.5.7.3.1"), new Oid("1.3.6.1.5.5.7.3.2")], false));
        using X509Certificate2 certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        string path = Path.Combine(_folder, name + ".pfx");
        File.WriteAllBytes(path, certificate.Export(X509ContentType.Pfx, password));
        return path;
    }

    /// <summary>Warnings and errors of the hosts go to the test's output.</summary>
    private void Log(ILoggingBuilder logging)
    {
        logging.ClearProviders();
        logging.SetMinimumLevel(LogLevel.Warning);
        logging.AddProvider(new OutputLoggerProvider(output));
    }

    private async Task<IHost> StartSiloAsync(ClusterConnection connection, SiloEndpoints? endpoints = null)
    {
        HostApplicationBuilder builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        Log(builder.Logging);
        builder.UseOrleans(silo => silo.UseAdefCluster(connection, endpoints));
        IHost host = builder.Build();
        await host.StartAsync().WaitAsync(Bound);
        return host;
    }

    private static async Task StopAsync(IHost host)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        await host.StopAsync(timeout.Token);
        host.Dispose();
    }

    /// <summary>Connects a client, calls the registry grain, and returns how long it took.</summary>
    private async Task<TimeSpan> CallAsync(ClusterConnection connection)
    {
        var stopwatch = Stopwatch.StartNew();
        await using ClusterClientHost client = await ClusterClientHost.StartAsync(connection, TimeSpan.FromSeconds(10), Log).WaitAsync(Bound);
        Assert.Empty(await client.Grains.GetGrain<IJobRegistryGrain>(0).Active().WaitAsync(Bound));
        return stopwatch.Elapsed;
    }

    /// <summary>A client that must be refused: returns the exception and how long the refusal took.</summary>
    private async Task<(ClusterConnectionException Error, TimeSpan Elapsed)> RefusedAsync(ClusterConnection connection)
    {
        var stopwatch = Stopwatch.StartNew();
        var e = await Assert.ThrowsAsync<ClusterConnectionException>(() =>
            ClusterClientHost.StartAsync(connection, TimeSpan.FromSeconds(2), Log).WaitAsync(Bound));
        output.WriteLine($"refused in {stopwatch.Elapsed.TotalSeconds:0.00} s: {e.Message}");
        return (e, stopwatch.Elapsed);
    }

    [Fact]
    public async Task TlsAdmitsOnlyClientsWithTheClusterCertificate()
    {
        string a = Certificate("cluster-a", "pa"), b = Certificate("cluster-b", "pb");
        int gateway = SiloEndpoints.FreePort();
        string url = $"localhost://127.0.0.1:{gateway}";
        var stopwatch = Stopwatch.StartNew();
        IHost silo = await StartSiloAsync(ClusterConnection.Parse(url, "tls", a, "pa"));
        output.WriteLine($"silo with certificate A started in {stopwatch.Elapsed.TotalSeconds:0.00} s");
        try
        {
            TimeSpan call = await CallAsync(ClusterConnection.Parse(url, "tls", a, "pa"));
            output.WriteLine($"client with certificate A connected and called a grain in {call.TotalSeconds:0.00} s");

            (ClusterConnectionException plain, TimeSpan plainTime) = await RefusedAsync(ClusterConnection.Parse(url, "tls"));
            Assert.Contains("cluster 'tls' at localhost://127.0.0.1:", plain.Message);
            Assert.Contains("without --certificate", plain.Message);
            (ClusterConnectionException other, TimeSpan otherTime) = await RefusedAsync(ClusterConnection.Parse(url, "tls", b, "pb"));
            Assert.Contains("the same --cluster-id and --certificate", other.Message);
            Assert.True(plainTime < TimeSpan.FromSeconds(10) && otherTime < TimeSpan.FromSeconds(10), $"{plainTime} / {otherTime}");

            // A wrong password is named before anything connects.
            var e = await Assert.ThrowsAsync<ArgumentException>(() => ClusterClientHost.StartAsync(ClusterConnection.Parse(url, "tls", a, "wrong")));
            Assert.StartsWith("--certificate: cannot read", e.Message);

            // The silo still serves its own after the refusals.
            await CallAsync(ClusterConnection.Parse(url, "tls", a, "pa"));
        }
        finally
        {
            stopwatch.Restart();
            await StopAsync(silo);
            output.WriteLine($"silo stopped in {stopwatch.Elapsed.TotalSeconds:0.00} s");
        }
    }

    [Fact]
    public async Task AClientOfAClusterWithoutSilosFailsNamingTheCluster()
    {
        int port = SiloEndpoints.FreePort();
        var stopwatch = Stopwatch.StartNew();
        var e = await Assert.ThrowsAsync<ClusterConnectionException>(() =>
            ClusterClientHost.StartAsync(ClusterConnection.Parse($"localhost://127.0.0.1:{port}", "empty"), TimeSpan.FromSeconds(1), Log).WaitAsync(Bound));
        output.WriteLine($"{stopwatch.Elapsed.TotalSeconds:0.00} s: {e.Message}");
        Assert.StartsWith($"The client could not join cluster 'empty' at localhost://127.0.0.1:{port} (plaintext) within 1 s", e.Message);
    }

    [Fact]
    public async Task AClientOfAnUnreachableRedisSaysSo()
    {
        int port = SiloEndpoints.FreePort();
        var e = await Assert.ThrowsAsync<ClusterConnectionException>(() =>
            ClusterClientHost.StartAsync(ClusterConnection.Parse($"redis://127.0.0.1:{port}", "nowhere"), TimeSpan.FromSeconds(1), Log).WaitAsync(Bound));
        output.WriteLine(e.Message);
        Assert.StartsWith($"The client cannot reach Redis at 127.0.0.1:{port} (cluster 'nowhere') within 1 s: UnableToConnect.", e.Message);
    }

    [SkippableFact]
    public async Task RedisMembershipJoinsTwoTlsSilosAndAClient()
    {
        string? redisServer = FindOnPath("redis-server");
        Skip.If(redisServer is null, "redis-server is not on PATH (apt-get install redis-server); Redis membership is not tested.");
        int port = SiloEndpoints.FreePort();
        using var redis = Process.Start(new ProcessStartInfo(redisServer!)
        {
            ArgumentList = { "--port", port.ToString(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no" },
            RedirectStandardOutput = true,
            UseShellExecute = false,
        })!;
        redis.OutputDataReceived += (_, _) => { };
        redis.BeginOutputReadLine();
        var silos = new List<IHost>();
        try
        {
            await WaitForPortAsync(port);
            string a = Certificate("cluster-a", "pa");
            ClusterConnection connection = ClusterConnection.Parse($"redis://127.0.0.1:{port}", "redis-test", a, "pa");
            var stopwatch = Stopwatch.StartNew();
            for (int i = 0; i < 2; i++) silos.Add(await StartSiloAsync(connection, new SiloEndpoints(AdvertisedAddress: IPAddress.Loopback)));
            output.WriteLine($"2 silos joined through Redis in {stopwatch.Elapsed.TotalSeconds:0.00} s");

            await using ClusterClientHost client = await ClusterClientHost.StartAsync(connection, TimeSpan.FromSeconds(10), Log).WaitAsync(Bound);
            Assert.Empty(await client.Grains.GetGrain<IJobRegistryGrain>(0).Active().WaitAsync(Bound));
            // The two silos see each other over TLS.
            var management = client.Grains.GetGrain<IManagementGrain>(0);
            Dictionary<SiloAddress, SiloStatus> hosts = await management.GetHosts(onlyActive: true).WaitAsync(Bound);
            Assert.Equal(2, hosts.Count);
            await client.Grains.GetGrain<IJobRegistryGrain>(0).Register("redis-job").WaitAsync(Bound);
            Assert.Equal(["redis-job"], await client.Grains.GetGrain<IJobRegistryGrain>(0).Active().WaitAsync(Bound));
            output.WriteLine($"client connected and called grains; {stopwatch.Elapsed.TotalSeconds:0.00} s in all");

            // Another cluster id on the same Redis is another cluster: no silo there.
            await RefusedAsync(ClusterConnection.Parse($"redis://127.0.0.1:{port}", "other-id", a, "pa"));
        }
        finally
        {
            // Silos first: a silo stopping gracefully hangs when Redis is already gone.
            foreach (IHost silo in silos) await StopAsync(silo);
            redis.Kill(entireProcessTree: true);
            await redis.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
        }
    }

    private static string? FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(folder => Path.Combine(folder, name)).FirstOrDefault(File.Exists);

    private static async Task WaitForPortAsync(int port)
    {
        var stopwatch = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, port);
                return;
            }
            catch (SocketException) when (stopwatch.Elapsed < TimeSpan.FromSeconds(10))
            {
                await Task.Delay(50);
            }
        }
    }
}

/// <summary>Writes log lines to xunit's output (dropped after the test ends).</summary>
internal sealed class OutputLoggerProvider(ITestOutputHelper output) : ILoggerProvider
{
    public ILogger CreateLogger(string categoryName) => new OutputLogger(output, categoryName);

    public void Dispose()
    {
    }

    private sealed class OutputLogger(ITestOutputHelper output, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            try
            {
                output.WriteLine($"[{logLevel}] {category}: {formatter(state, exception)}{(exception is null ? "" : $" ({exception.GetType().Name}: {exception.Message})")}");
            }
            catch (InvalidOperationException)
            {
                // The test has ended.
            }
        }
    }
}
