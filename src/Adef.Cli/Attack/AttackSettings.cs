namespace Adef.Cli;

/// <summary>The attack command's options as given on the command line (null where an option was left out).</summary>
/// <param name="Model">The ONNX classifier.</param>
/// <param name="Images">A folder of PNG/JPEG files or an idx image file.</param>
/// <param name="Out">The output folder.</param>
/// <param name="Labels">A labels CSV (folder) or idx label file (idx).</param>
/// <param name="Attack">adef or deepfool.</param>
/// <param name="Preset">ADef's paper preset: mnist or imagenet.</param>
/// <param name="Candidates">ADef: candidate ranks such as 1,2,3; DeepFool: the number K of top labels.</param>
/// <param name="MaxIterations">The iteration limit.</param>
/// <param name="MaxNorm">ADef: the budget on ‖τ‖_T in pixels.</param>
/// <param name="Sigma">ADef: the Gaussian smoothing of each step, in pixels.</param>
/// <param name="OvershootFactor">ADef: the overshoot factor ≥ 1.</param>
/// <param name="OvershootFraction">DeepFool: the overshoot fraction ≥ 0.</param>
/// <param name="RankTargeted">ADef: success means landing in the candidate set.</param>
/// <param name="BatchSize">Images sent to the model at once.</param>
/// <param name="Norm">DeepFool: l2 or linf.</param>
/// <param name="Size">W,H, which must be the model's size.</param>
/// <param name="Scale">The value of byte 255 before mean and std.</param>
/// <param name="Mean">Per-channel means, comma-separated.</param>
/// <param name="Std">Per-channel standard deviations, comma-separated.</param>
/// <param name="Channels">rgb, bgr or gray.</param>
/// <param name="Logits">The name of the model's logits output.</param>
/// <param name="Limit">Attack only the first N images (0 = all).</param>
/// <param name="NoClip">DeepFool: do not clip to the valid input values (the images of bytes 0 and 255).</param>
/// <param name="Resume">Skip the images already in results.csv and append the rest.</param>
/// <param name="Device">cpu, cuda or cuda:N.</param>
/// <param name="ClassNames">A file of class names, one per line (an ImageNet synset file works), or null.</param>
/// <param name="Gate">The <c>--fail-if-…</c> thresholds, checked on the whole results.csv after everything is written.</param>
/// <param name="Targets">A targets CSV (columns file and target): the label each image is to be given.</param>
/// <param name="ValidImages">Return adversarials on the 8-bit pixel grid that still fool after rounding (<see cref="Adef.MLNet.Attacks.AttackOptions.ValidImages"/>).</param>
/// <param name="Strict">Stop at the first file that cannot be decoded instead of writing it as an Unreadable row.</param>
/// <param name="Cluster">Run on a cluster of <c>adef worker</c>s instead of in this process, or null.</param>
internal sealed record AttackSettings(
    string? Model, string? Images, string? Out, string? Labels, string Attack, string? Preset,
    string? Candidates, int? MaxIterations, double? MaxNorm, double? Sigma, double? OvershootFactor, double? OvershootFraction,
    bool RankTargeted, int BatchSize, string Norm, string? Size, double Scale, string? Mean, string? Std, string? Channels,
    string? Logits, int Limit, bool NoClip, bool Resume, string Device = "cpu", string? ClassNames = null, RobustnessGate? Gate = null,
    string? Targets = null, bool ValidImages = false, bool Strict = false, ClusterSettings? Cluster = null)
{
    /// <summary>The attack's name in lower case: adef or deepfool.</summary>
    public string AttackName => Attack.Trim().ToLowerInvariant();

    /// <summary>Checks what can be checked before the model is loaded.</summary>
    /// <exception cref="UsageException">A required option is missing or a value is out of range.</exception>
    public void Check()
    {
        if (string.IsNullOrWhiteSpace(Model)) throw new UsageException("--model is required (an .onnx file).");
        if (string.IsNullOrWhiteSpace(Images)) throw new UsageException("--images is required (a folder of PNG/JPEG files or an idx image file).");
        if (string.IsNullOrWhiteSpace(Out)) throw new UsageException("--out is required (the output folder).");
        if (!File.Exists(Model)) throw new UsageException($"Model '{Model}' does not exist.");
        if (!Directory.Exists(Images) && !File.Exists(Images)) throw new UsageException($"--images '{Images}' does not exist.");
        if (BatchSize < 1) throw new UsageException("--batch-size must be ≥ 1.");
        if (Limit < 0) throw new UsageException("--limit must be ≥ 0.");
        if (AttackName is not ("adef" or "deepfool")) throw new UsageException($"--attack must be adef or deepfool, not '{Attack}'.");
        if (Targets is not null && !File.Exists(Targets)) throw new UsageException($"--targets '{Targets}' does not exist.");
        if (Targets is not null && RankTargeted)
            throw new UsageException("--targets and --rank-targeted exclude each other: with targets, success is each image's target.");
        if (NoClip && AttackName != "deepfool")
            throw new UsageException("--no-clip applies to DeepFool only (ADef's interpolation stays within the input's range).");
        if (ClassNames is not null && !File.Exists(ClassNames)) throw new UsageException($"--class-names '{ClassNames}' does not exist.");
        Gate?.Validate();
        Cluster?.Check();
        if (Cluster is not null && Strict)
            throw new UsageException("--strict applies to a run in this process; on a cluster an unreadable file gets its own row.");
    }
}

/// <summary>The options of <c>adef attack --cluster</c>.</summary>
/// <param name="Url">The cluster's membership store: <c>redis://HOST:PORT</c>.</param>
/// <param name="ClusterId">The cluster's id, as the workers were started with.</param>
/// <param name="ShardSize">Images per shard.</param>
/// <param name="Certificate">The cluster's certificate (PFX) for TLS, or null.</param>
/// <param name="CertificatePasswordEnv">The environment variable holding the certificate's password, or null.</param>
/// <param name="LeaseSeconds">How long a worker keeps a shard without renewing it before the shard goes to another.</param>
internal sealed record ClusterSettings(string Url, string? ClusterId, int ShardSize, string? Certificate, string? CertificatePasswordEnv,
    double LeaseSeconds)
{
    /// <summary>Checks what can be checked before connecting.</summary>
    /// <exception cref="UsageException">A value is missing or out of range.</exception>
    public void Check()
    {
        if (string.IsNullOrWhiteSpace(ClusterId)) throw new UsageException("--cluster-id is required with --cluster (the id the workers were started with).");
        if (ShardSize < 1) throw new UsageException("--shard-size must be ≥ 1.");
        if (!(LeaseSeconds > 0) || double.IsInfinity(LeaseSeconds)) throw new UsageException("--lease-seconds must be a positive number.");
        if (Certificate is not null && !File.Exists(Certificate)) throw new UsageException($"--certificate '{Certificate}' does not exist.");
    }
}
