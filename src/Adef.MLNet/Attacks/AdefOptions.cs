namespace Adef.MLNet.Attacks;

/// <summary>
/// Options of ADef (Alaifari, Alberti, Gauksson, ICLR 2019). Defaults follow the paper's
/// algorithm; <see cref="Mnist"/>, <see cref="ImageNet"/> and <see cref="AdversarialTraining"/> are
/// the presets of its experiments. Lengths are in pixels.
/// </summary>
public sealed record AdefOptions : AttackOptions
{
    /// <summary>
    /// Candidate labels given as ranks in the clean logits sorted in descending order (1 = runner-up,
    /// 2 = third, …), fixed at the start. Default {1}. Every rank must lie in [1, L − 1]. Ranks, where DeepFool's
    /// <see cref="DeepFoolOptions.CandidateCount"/> is a count.
    /// </summary>
    public IReadOnlyList<int> CandidateRanks { get; init; } = new[] { 1 };

    /// <summary>Iteration limit. Default 50.</summary>
    public int MaxIterations { get; init; } = 50;

    /// <summary>Budget on ‖τ‖_T in pixels; a step reaching it ends the attack. Default ∞.</summary>
    public double MaxNorm { get; init; } = double.PositiveInfinity;

    /// <summary>
    /// Factor ≥ 1 applied once after the iterations to fields that failed or succeeded on a tie,
    /// capped so that ‖τ‖_T stays within <see cref="MaxNorm"/>. Default 1 (off).
    /// </summary>
    public double OvershootFactor { get; init; } = 1.0;

    /// <summary>Standard deviation of the Gaussian that smooths each step, in pixels; 0 = no smoothing, at most <see cref="MaxSigma"/>. Default 0.</summary>
    public double Sigma { get; init; }

    /// <summary>
    /// When set, success means the label lands in the candidate set (the labels at the candidate ranks of the clean logits),
    /// not merely changes. Default false. To make each image reach a label of your choice, pass targets to
    /// <see cref="ImageAttack{TOptions, TResult}.Run(ReadOnlyMemory{float}, IReadOnlyList{int}?, IReadOnlyList{int}?, IProgress{AttackProgress}?, CancellationToken)"/>
    /// instead (the two exclude each other).
    /// </summary>
    public bool RankTargeted { get; init; }

    /// <summary>The paper's MNIST preset: candidates 1…9, 100 iterations, σ 0.5, overshoot 1.2.</summary>
    public static AdefOptions Mnist { get; } = new()
    {
        CandidateRanks = Enumerable.Range(1, 9).ToArray(), MaxIterations = 100, Sigma = 0.5, OvershootFactor = 1.2,
    };

    /// <summary>The paper's ImageNet preset: candidates {1}, 100 iterations, σ 1, overshoot 1.1.</summary>
    public static AdefOptions ImageNet { get; } = new()
    {
        CandidateRanks = new[] { 1 }, MaxIterations = 100, Sigma = 1, OvershootFactor = 1.1,
    };

    /// <summary>The paper's adversarial-training preset: candidates {1}, 40 iterations, ‖τ‖_T ≤ 3, σ 1, overshoot 1.</summary>
    public static AdefOptions AdversarialTraining { get; } = new()
    {
        CandidateRanks = new[] { 1 }, MaxIterations = 40, MaxNorm = 3, Sigma = 1, OvershootFactor = 1,
    };

    /// <summary>Largest accepted <see cref="Sigma"/>, in pixels.</summary>
    public const double MaxSigma = 10_000;

    /// <summary>
    /// Checks the options for a classifier of <paramref name="classCount"/> classes, as <see cref="AdefAttack"/> does
    /// when it is created; call it to report bad settings before a classifier is loaded.
    /// </summary>
    /// <param name="classCount">The number of classes L of the classifier the options are for.</param>
    /// <exception cref="ArgumentException"><see cref="CandidateRanks"/> is empty or repeats a rank.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of range: a candidate rank outside [1, L − 1], a negative
    /// <see cref="MaxIterations"/>, a <see cref="MaxNorm"/> that is not positive, an <see cref="OvershootFactor"/> below 1 or
    /// infinite, a <see cref="Sigma"/> outside [0, <see cref="MaxSigma"/>], a <see cref="AttackOptions.BatchSize"/> below 1 or an
    /// unknown <see cref="AttackOptions.Execution"/>. The exception's parameter name is the option's.</exception>
    public void Validate(int classCount)
    {
        if (CandidateRanks is null || CandidateRanks.Count == 0)
            throw new ArgumentException("At least one candidate rank is needed.", nameof(CandidateRanks));
        foreach (int rank in CandidateRanks)
            if (rank < 1 || rank >= classCount)
                throw new ArgumentOutOfRangeException(nameof(CandidateRanks), rank,
                    $"Candidate ranks must lie in [1, {classCount - 1}] for a classifier with {classCount} classes (1 = runner-up).");
        if (CandidateRanks.Distinct().Count() != CandidateRanks.Count)
            throw new ArgumentException("Candidate ranks must be distinct.", nameof(CandidateRanks));
        ArgumentOutOfRangeException.ThrowIfNegative(MaxIterations, nameof(MaxIterations));
        if (!(MaxNorm > 0))
            throw new ArgumentOutOfRangeException(nameof(MaxNorm), MaxNorm, "MaxNorm must be positive (∞ for no budget).");
        if (!(OvershootFactor >= 1) || double.IsInfinity(OvershootFactor))
            throw new ArgumentOutOfRangeException(nameof(OvershootFactor), OvershootFactor, "OvershootFactor must be a finite number ≥ 1.");
        if (!(Sigma >= 0) || double.IsInfinity(Sigma))
            throw new ArgumentOutOfRangeException(nameof(Sigma), Sigma, "Sigma must be a finite number ≥ 0 (pixels; 0 = no smoothing).");
        if (Sigma > MaxSigma)
            throw new ArgumentOutOfRangeException(nameof(Sigma), Sigma,
                $"Sigma must be at most {MaxSigma} pixels (its kernel spans 8σ + 1 pixels; a larger one smooths any image to a constant).");
        ValidateBatching();
    }
}
