using System.CommandLine;

namespace Adef.Cli;

/// <summary>
/// The <c>worker</c> command: an Orleans silo of a distributed attack (issue 20) that pulls shards from the cluster's jobs and
/// attacks them. This file holds its options; <see cref="WorkerRun"/> runs it.
/// </summary>
internal static class WorkerCommand
{
    /// <summary>The command; <paramref name="cancel"/> stops the worker as Ctrl+C does.</summary>
    public static Command Create(CancellationToken cancel)
    {
        var cluster = new Option<string>("--cluster")
        {
            Description = "The cluster's membership: redis://[user:password@]HOST:PORT[?ssl=true], rediss://... (TLS to Redis), or localhost://127.0.0.1:PORT (one silo on this machine, its gateway on PORT; for trials).",
            Required = true,
        };
        var clusterId = new Option<string>("--cluster-id") { Description = "The cluster's id: workers and clients with the same id form one cluster.", Required = true };
        var device = new Option<string>("--device") { Description = "cpu, cuda or cuda:N: where this worker runs the classifier (one worker per GPU).", DefaultValueFactory = _ => "cpu" };
        var siloPort = new Option<int>("--silo-port") { Description = "Port for the other workers (0 = a free port).", DefaultValueFactory = _ => 0 };
        var gatewayPort = new Option<int>("--gateway-port") { Description = "Port for clients such as adef attack --cluster (0 = a free port).", DefaultValueFactory = _ => 0 };
        var advertised = new Option<string>("--advertised-address") { Description = "The IP address the others reach this worker at (default: this machine's first non-loopback IPv4 address; in Kubernetes, the pod IP)." };
        var certificate = new Option<string>("--certificate") { Description = "The cluster's certificate and private key (.pfx): mutual TLS with every worker and client, which must use the same certificate. Without it the cluster talks plaintext: use it only on a trusted network." };
        var passwordEnv = new Option<string>("--certificate-password-env") { Description = "The environment variable that holds the .pfx file's password." };
        var threads = new Option<int>("--threads") { Description = "Shards attacked at once (they share one loaded classifier).", DefaultValueFactory = _ => 1 };

        var command = new Command("worker",
            "Join a cluster as a worker: host an Orleans silo that pulls shards of the cluster's attack jobs and attacks them on --device, " +
            "until Ctrl+C or SIGTERM (exit 0). Prints one line when joined; logs warnings and errors only. " +
            "The model and images must be at the same paths on every worker.\n" + ExitCodes.Help);
        foreach (Option option in (Option[])[cluster, clusterId, device, siloPort, gatewayPort, advertised, certificate, passwordEnv, threads])
            command.Options.Add(option);
        command.SetAction(parse => WorkerRun.Execute(new WorkerSettings(
            parse.GetValue(cluster)!, parse.GetValue(clusterId)!, parse.GetValue(device)!, parse.GetValue(siloPort), parse.GetValue(gatewayPort),
            parse.GetValue(advertised), parse.GetValue(certificate), parse.GetValue(passwordEnv), parse.GetValue(threads)), cancel));
        return command;
    }
}
