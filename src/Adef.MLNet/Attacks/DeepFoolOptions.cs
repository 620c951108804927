namespace Adef.MLNet.Attacks;

/// <summary>Options of DeepFool (Moosavi-Dezfooli, Fawzi, Frossard, CVPR 2016). Values are in the classifier's input units.</summary>
public sealed record DeepFoolOptions : AttackOptions
{
    /// <summary>The norm to minimise. Default <see cref="DeepFoolNorm.L2"/>.</summary>
    public DeepFoolNorm Norm { get; init; } = DeepFoolNorm.L2;

    /// <summary>
    /// How many labels k DeepFool considers: the top k of the clean logits (the clean label and k − 1 candidates to push
    /// towards), capped at L, fixed. Default 10; at least 2. A count, where ADef's <see cref="AdefOptions.CandidateRanks"/>
    /// lists ranks: k here means the same labels as ranks 1 … k − 1 there.
    /// </summary>
    public int CandidateCount { get; init; } = 10;

    /// <summary>Iteration limit. Default 50.</summary>
    public int MaxIterations { get; init; } = 50;

    /// <summary>The accumulated perturbation r is applied as (1 + OvershootFraction)·r. Default 0.02.</summary>
    public double OvershootFraction { get; init; } = 0.02;

    /// <summary>
    /// Lower bound of valid input values for every channel, in input units. Default <see langword="null"/>: each channel's
    /// value of byte 0 when the classifier states its <see cref="Classifiers.IDifferentiableClassifier.InputPreprocessing"/>
    /// (<see cref="Data.ImagePreprocessing.ChannelBounds"/>), otherwise no bound. <see cref="float.NegativeInfinity"/>: no bound.
    /// </summary>
    public float? ClipMin { get; init; }

    /// <summary>
    /// Upper bound of valid input values for every channel, in input units. Default <see langword="null"/>: each channel's
    /// value of byte 255 when the classifier states its preprocessing, otherwise no bound. <see cref="float.PositiveInfinity"/>:
    /// no bound.
    /// </summary>
    public float? ClipMax { get; init; }

    /// <summary>The per-channel bounds DeepFool clips to on <paramref name="classifier"/>.</summary>
    internal ValueBounds Bounds(Classifiers.IDifferentiableClassifier classifier) =>
        ValueBounds.Resolve(ClipMin, ClipMax, classifier.InputPreprocessing, classifier.InputShape.Channels, fallback: null);

    /// <summary>Checks the options, as <see cref="DeepFoolAttack"/> does when it is created.</summary>
    /// <exception cref="ArgumentException"><see cref="ClipMin"/> is not smaller than <see cref="ClipMax"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of range: <see cref="CandidateCount"/> below 2, a negative
    /// <see cref="MaxIterations"/>, an <see cref="OvershootFraction"/> below 0 or infinite, a NaN clip bound, a
    /// <see cref="AttackOptions.BatchSize"/> below 1 or an unknown <see cref="AttackOptions.Execution"/>. The exception's
    /// parameter name is the option's.</exception>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(CandidateCount, 2, nameof(CandidateCount));
        ArgumentOutOfRangeException.ThrowIfNegative(MaxIterations, nameof(MaxIterations));
        if (!(OvershootFraction >= 0) || double.IsInfinity(OvershootFraction))
            throw new ArgumentOutOfRangeException(nameof(OvershootFraction), OvershootFraction, "OvershootFraction must be a finite number ≥ 0.");
        if (ClipMin is { } low && float.IsNaN(low))
            throw new ArgumentOutOfRangeException(nameof(ClipMin), low, "ClipMin must be a number (or null for no bound).");
        if (ClipMax is { } high && float.IsNaN(high))
            throw new ArgumentOutOfRangeException(nameof(ClipMax), high, "ClipMax must be a number (or null for no bound).");
        if (ClipMin is { } min && ClipMax is { } max && !(min < max))
            throw new ArgumentException($"ClipMin ({min}) must be smaller than ClipMax ({max}).", nameof(ClipMin));
        ValidateBatching();
    }
}
