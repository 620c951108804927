using Adef.MLNet.Attacks;
using Adef.MLNet.Data;
using Orleans;

namespace Adef.Cluster;

/// <summary>
/// What every worker needs to attack any shard of a job: where the model and the images are (paths every worker can
/// read), the model's SHA-256 (a worker refuses a different file), the attack and the coordinator's limits.
/// </summary>
/// <param name="JobId">The job's id, the coordinator grain's key.</param>
/// <param name="ModelPath">The ONNX model, as the workers see it.</param>
/// <param name="ModelSha256">The model file's SHA-256 in hex (case-insensitive).</param>
/// <param name="ImagesPath">The folder of PNG/JPEG files or the idx file, as the workers see it.</param>
/// <param name="LabelsPath">The labels CSV or idx label file, or null.</param>
/// <param name="ImageCount">The number of images in the input list (a worker that sees another number fails the shard).</param>
/// <param name="ShardSize">Images per shard.</param>
/// <param name="Attack">The attack and the input format.</param>
/// <param name="LeaseDuration">How long a lease lasts without renewal before its shard is re-queued.</param>
/// <param name="BufferCapacity">Rows the coordinator holds before the client collects them; workers wait beyond it.</param>
/// <param name="ClientTimeout">How long the coordinator keeps a job whose client stopped collecting (killed): after it the job
/// is dropped and the workers move on. A client that comes back within it (<c>--resume</c>) takes the job over. Null: 60 s.</param>
[GenerateSerializer, Immutable]
[Alias("Adef.Cluster.JobSpec")]
public sealed record JobSpec(
    string JobId, string ModelPath, string ModelSha256, string ImagesPath, string? LabelsPath, int ImageCount, int ShardSize,
    AttackSpec Attack, TimeSpan LeaseDuration, int BufferCapacity, TimeSpan? ClientTimeout = null)
{
    /// <summary>The client timeout used when <see cref="ClientTimeout"/> is null.</summary>
    public static readonly TimeSpan DefaultClientTimeout = TimeSpan.FromSeconds(60);

    /// <summary><see cref="ClientTimeout"/>, or its default.</summary>
    public TimeSpan EffectiveClientTimeout => ClientTimeout ?? DefaultClientTimeout;

    /// <summary>Checks the values that a coordinator relies on.</summary>
    /// <exception cref="ArgumentException">An id or path is empty, a count or duration is not positive, or the buffer is
    /// smaller than one shard (a shard's rows are accepted whole, so a smaller buffer would never take one).</exception>
    public void Validate()
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(JobId, nameof(JobId));
        ArgumentException.ThrowIfNullOrWhiteSpace(ModelPath, nameof(ModelPath));
        ArgumentException.ThrowIfNullOrWhiteSpace(ModelSha256, nameof(ModelSha256));
        ArgumentException.ThrowIfNullOrWhiteSpace(ImagesPath, nameof(ImagesPath));
        ArgumentNullException.ThrowIfNull(Attack, nameof(Attack));
        ArgumentOutOfRangeException.ThrowIfNegative(ImageCount, nameof(ImageCount));
        ArgumentOutOfRangeException.ThrowIfLessThan(ShardSize, 1, nameof(ShardSize));
        if (LeaseDuration <= TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(LeaseDuration), LeaseDuration, "The lease duration must be positive.");
        if (EffectiveClientTimeout <= TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(ClientTimeout), ClientTimeout, "The client timeout must be positive.");
        if (BufferCapacity < ShardSize)
            throw new ArgumentOutOfRangeException(nameof(BufferCapacity), BufferCapacity,
                $"The row buffer must hold at least one shard ({ShardSize} rows).");
    }

    /// <summary>Whether <paramref name="other"/> describes the same work (a re-submission after the coordinator was lost).</summary>
    public bool SameWorkAs(JobSpec other) =>
        other.JobId == JobId && other.ModelPath == ModelPath &&
        string.Equals(other.ModelSha256, ModelSha256, StringComparison.OrdinalIgnoreCase) &&
        other.ImagesPath == ImagesPath && other.LabelsPath == LabelsPath && other.ImageCount == ImageCount &&
        other.ShardSize == ShardSize && other.Attack.Describe() == Attack.Describe();
}

/// <summary>
/// The attack a job runs and how images become the model's input, in plain values (the library's option records are not
/// wire types). Null values take the library's defaults. <c>adef attack</c> builds one from its options and attacks with
/// <see cref="BuildOptions"/>, in one process or on the cluster, so both run the same attack.
/// </summary>
/// <param name="Attack"><c>adef</c> or <c>deepfool</c>.</param>
/// <param name="Preset">ADef's paper preset: <c>mnist</c>, <c>imagenet</c> or null.</param>
/// <param name="CandidateRanks">ADef's candidate ranks, or null.</param>
/// <param name="CandidateCount">DeepFool's number of top labels, or null.</param>
/// <param name="MaxIterations">The iteration limit, or null.</param>
/// <param name="MaxNorm">ADef's budget on ‖τ‖_T, or null.</param>
/// <param name="Sigma">ADef's smoothing, or null.</param>
/// <param name="OvershootFactor">ADef's overshoot factor, or null.</param>
/// <param name="OvershootFraction">DeepFool's overshoot fraction, or null.</param>
/// <param name="LInf">DeepFool: the ℓ∞ variant instead of ℓ2.</param>
/// <param name="BatchSize">Images sent to the model at once.</param>
/// <param name="Channels"><c>rgb</c>, <c>bgr</c> or <c>gray</c>; null for the model's channel count's default.</param>
/// <param name="Scale">The value of byte 255 before mean and std.</param>
/// <param name="Mean">Per-channel means, or null for zeros.</param>
/// <param name="Std">Per-channel standard deviations, or null for ones.</param>
/// <param name="Logits">The model's logits output, or null for the only/first one.</param>
/// <param name="RankTargeted">ADef: success means landing in the candidate set.</param>
/// <param name="ValidImages">Adversarials on the 8-bit grid of the preprocessing (<see cref="AttackOptions.ValidImages"/>).</param>
/// <param name="NoClip">DeepFool: no clipping to the valid input values.</param>
[GenerateSerializer, Immutable]
[Alias("Adef.Cluster.AttackSpec")]
public sealed record AttackSpec(
    string Attack = "adef", string? Preset = null, int[]? CandidateRanks = null, int? CandidateCount = null,
    int? MaxIterations = null, double? MaxNorm = null, double? Sigma = null, double? OvershootFactor = null,
    double? OvershootFraction = null, bool LInf = false, int BatchSize = 64, string? Channels = null, double Scale = 1,
    double[]? Mean = null, double[]? Std = null, string? Logits = null, bool RankTargeted = false, bool ValidImages = false,
    bool NoClip = false)
{
    /// <summary>A canonical text of every value (records compare arrays by reference; this compares them by content).</summary>
    public string Describe() => string.Join(';',
        Attack, Preset, Join(CandidateRanks), CandidateCount, MaxIterations, MaxNorm, Sigma, OvershootFactor, OvershootFraction,
        LInf, BatchSize, Channels, Scale, Join(Mean), Join(Std), Logits, RankTargeted, ValidImages, NoClip);

    /// <summary>The preprocessing that turns image bytes into the input of a model with <paramref name="modelChannels"/> channels.</summary>
    /// <exception cref="ArgumentException"><see cref="Channels"/> is none of rgb, bgr and gray, or the values do not fit the channels.</exception>
    public ImagePreprocessing Preprocessing(int modelChannels)
    {
        ChannelOrder order = ChannelOrderOf(Channels, modelChannels)
            ?? throw new ArgumentException($"Channels must be rgb, bgr or gray, not '{Channels}'.", nameof(Channels));
        return new ImagePreprocessing(order, Scale, Mean, Std);
    }

    /// <summary>
    /// The channel order a text names: <c>rgb</c>, <c>bgr</c>, <c>gray</c> or <c>grey</c> (any case); null text means gray for
    /// a one-channel model and RGB otherwise. Null when the text names none of them.
    /// </summary>
    /// <param name="text">The text, or null for the model's default.</param>
    /// <param name="modelChannels">The model's number of input channels.</param>
    public static ChannelOrder? ChannelOrderOf(string? text, int modelChannels) => text?.Trim().ToLowerInvariant() switch
    {
        null => modelChannels == 1 ? ChannelOrder.Gray : ChannelOrder.Rgb,
        "rgb" => ChannelOrder.Rgb,
        "bgr" => ChannelOrder.Bgr,
        "gray" or "grey" => ChannelOrder.Gray,
        _ => null,
    };

    /// <summary>
    /// ADef's or DeepFool's options: the preset (ADef), then every value that is set. ADef's default candidate ranks are cut
    /// to the model's classes; options that belong to the other attack are ignored.
    /// </summary>
    /// <param name="classCount">The model's number of classes.</param>
    /// <exception cref="ArgumentException">A value is out of range; <see cref="ArgumentException.ParamName"/> names the option's property.</exception>
    public AttackOptions BuildOptions(int classCount)
    {
        switch (Attack.Trim().ToLowerInvariant())
        {
            case "adef":
            {
                AdefOptions options = Preset?.Trim().ToLowerInvariant() switch
                {
                    null => new AdefOptions(),
                    "mnist" => AdefOptions.Mnist,
                    "imagenet" => AdefOptions.ImageNet,
                    _ => throw new ArgumentException($"The preset must be mnist or imagenet, not '{Preset}'.", nameof(Preset)),
                };
                if (CandidateRanks is { } ranks) options = options with { CandidateRanks = ranks };
                else if (options.CandidateRanks.Max() >= classCount)
                    options = options with { CandidateRanks = [.. options.CandidateRanks.Where(r => r < classCount)] };
                if (MaxIterations is { } it) options = options with { MaxIterations = it };
                if (MaxNorm is { } norm) options = options with { MaxNorm = norm };
                if (Sigma is { } sigma) options = options with { Sigma = sigma };
                if (OvershootFactor is { } factor) options = options with { OvershootFactor = factor };
                options = options with { BatchSize = BatchSize, RankTargeted = RankTargeted, ValidImages = ValidImages };
                options.Validate(classCount);
                return options;
            }
            case "deepfool":
            {
                var options = new DeepFoolOptions
                {
                    BatchSize = BatchSize, Norm = LInf ? DeepFoolNorm.LInf : DeepFoolNorm.L2, ValidImages = ValidImages,
                };
                if (NoClip) options = options with { ClipMin = float.NegativeInfinity, ClipMax = float.PositiveInfinity };
                if (CandidateCount is { } k) options = options with { CandidateCount = k };
                if (MaxIterations is { } it) options = options with { MaxIterations = it };
                if (OvershootFraction is { } fraction) options = options with { OvershootFraction = fraction };
                options.Validate();
                return options;
            }
            default:
                throw new ArgumentException($"The attack must be adef or deepfool, not '{Attack}'.", nameof(Attack));
        }
    }

    private static string Join<T>(T[]? values) => values is null ? "" : string.Join(',', values);
}
