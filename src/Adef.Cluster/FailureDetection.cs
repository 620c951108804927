namespace Adef.Cluster;

/// <summary>
/// How fast the silos declare a silo dead that stopped answering (a SIGKILLed or unplugged worker): its shards are handed
/// out again then, or when their lease expires, whichever comes first. A silo is suspected after <see cref="MissedProbes"/>
/// probes of <see cref="ProbeTimeout"/> went unanswered, and declared dead once enough silos suspect it. The default
/// (2 s × 2) took 1.9–3.1 s with Redis on loopback (SCALEOUT.md); Orleans' own default (10 s × 3) takes half a minute or
/// more. Shorter values detect faster but risk declaring a busy or briefly unreachable silo dead: Orleans then stops that
/// silo (it cannot rejoin under the same identity; a supervisor such as systemd or Kubernetes restarts the worker) and its
/// shards are redone elsewhere.
/// </summary>
/// <param name="ProbeTimeout">The initial probe timeout (Orleans' <c>ClusterMembershipOptions.ProbeTimeout</c>).</param>
/// <param name="MissedProbes">Missed probes before suspecting (Orleans' <c>ClusterMembershipOptions.NumMissedProbesLimit</c>).</param>
public sealed record FailureDetection(TimeSpan ProbeTimeout, int MissedProbes)
{
    /// <summary>2 s × 2 missed probes: a dead worker is declared within a few seconds.</summary>
    public static FailureDetection Default { get; } = new(TimeSpan.FromSeconds(2), 2);

    /// <summary>Checks the values.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The timeout is not positive or fewer than one probe may be missed.</exception>
    public void Validate()
    {
        if (ProbeTimeout <= TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(ProbeTimeout), ProbeTimeout, "The probe timeout must be positive.");
        if (MissedProbes < 1)
            throw new ArgumentOutOfRangeException(nameof(MissedProbes), MissedProbes, "At least one missed probe must be allowed.");
    }
}
