namespace Adef.MLNet.Attacks;

/// <summary>
/// Options of projected gradient descent in ℓ∞ (Madry et al., ICLR 2018): random start in the ε ball, then
/// <see cref="Steps"/> steps of <see cref="StepSize"/> along the sign of the cross-entropy gradient, each followed by
/// projection onto the ball and clipping to the valid range. Defaults are the MNIST settings of the ADef paper's
/// adversarial-training comparison (ε 0.3, 40 steps of 0.01). Values are in the classifier's input units.
/// </summary>
public sealed record PgdOptions : AttackOptions
{
    /// <summary>Radius ε of the ℓ∞ ball around the clean image, in input units (pixels in [0, 1] for MNIST). Default 0.3; 0 returns the image.</summary>
    public double Epsilon { get; init; } = 0.3;

    /// <summary>Length of each signed-gradient step, in input units. Default 0.01.</summary>
    public double StepSize { get; init; } = 0.01;

    /// <summary>Number of steps; all are taken (success is decided at the end). Default 40; 0 returns the clean image.</summary>
    public int Steps { get; init; } = 40;

    /// <summary>Start from a uniform random point of the ε ball, U(−ε, ε) per pixel (then clipped). Default true.</summary>
    public bool RandomStart { get; init; } = true;

    /// <summary>
    /// Seed of the random start. Image <c>i</c> of a run draws from its own generator seeded with (Seed, i), so the
    /// result does not depend on <see cref="AttackOptions.BatchSize"/>. Default 0.
    /// </summary>
    public int Seed { get; init; }

    /// <summary>
    /// Lower bound of valid input values for every channel, applied after every step, in input units. Default
    /// <see langword="null"/>: each channel's value of byte 0 when the classifier states its
    /// <see cref="Classifiers.IDifferentiableClassifier.InputPreprocessing"/> (<see cref="Data.ImagePreprocessing.ChannelBounds"/>),
    /// otherwise 0 (pixels in [0, 1]). <see cref="float.NegativeInfinity"/>: no bound.
    /// </summary>
    public float? ClipMin { get; init; }

    /// <summary>
    /// Upper bound of valid input values for every channel, applied after every step, in input units. Default
    /// <see langword="null"/>: each channel's value of byte 255 when the classifier states its preprocessing, otherwise 1.
    /// <see cref="float.PositiveInfinity"/>: no bound.
    /// </summary>
    public float? ClipMax { get; init; }

    /// <summary>The per-channel bounds PGD clips to on <paramref name="classifier"/>.</summary>
    internal ValueBounds Bounds(Classifiers.IDifferentiableClassifier classifier) =>
        ValueBounds.Resolve(ClipMin, ClipMax, classifier.InputPreprocessing, classifier.InputShape.Channels, fallback: (0, 1));

    /// <summary>Checks the options, as <see cref="PgdAttack"/> does when it is created.</summary>
    /// <exception cref="ArgumentException"><see cref="ClipMin"/> is not smaller than <see cref="ClipMax"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of range: an <see cref="Epsilon"/> or <see cref="StepSize"/>
    /// below 0 or infinite, negative <see cref="Steps"/>, a NaN clip bound (or +∞ as ClipMin, −∞ as ClipMax), a <see cref="AttackOptions.BatchSize"/> below 1
    /// or an unknown <see cref="AttackOptions.Execution"/>. The exception's parameter name is the option's.</exception>
    public void Validate()
    {
        if (!(Epsilon >= 0) || double.IsInfinity(Epsilon))
            throw new ArgumentOutOfRangeException(nameof(Epsilon), Epsilon, "Epsilon must be a finite number ≥ 0 (input units).");
        if (!(StepSize >= 0) || double.IsInfinity(StepSize))
            throw new ArgumentOutOfRangeException(nameof(StepSize), StepSize, "StepSize must be a finite number ≥ 0 (input units).");
        ArgumentOutOfRangeException.ThrowIfNegative(Steps, nameof(Steps));
        if (ClipMin is { } low && (float.IsNaN(low) || float.IsPositiveInfinity(low)))
            throw new ArgumentOutOfRangeException(nameof(ClipMin), low, "ClipMin must be a number below +∞ (−∞ for no bound, null for the default).");
        if (ClipMax is { } high && (float.IsNaN(high) || float.IsNegativeInfinity(high)))
            throw new ArgumentOutOfRangeException(nameof(ClipMax), high, "ClipMax must be a number above −∞ (+∞ for no bound, null for the default).");
        if (ClipMin is { } min && ClipMax is { } max && !(min < max))
            throw new ArgumentException($"ClipMin ({min}) must be smaller than ClipMax ({max}).", nameof(ClipMin));
        ValidateBatching();
    }
}
