namespace Adef.MLNet.Attacks;

/// <summary>How the attack on one image ended.</summary>
public enum AttackOutcome
{
    /// <summary>
    /// The attack succeeded: with a target, the final label equals it (also when the clean image already had it: 0 iterations,
    /// unchanged); without one, the label changed; with ADef's <see cref="AdefOptions.RankTargeted"/>, it landed in the
    /// candidate set. A targeted image that ends on another label reports one of the failures below, whatever labels it passed.
    /// </summary>
    Fooled,

    /// <summary>The iteration limit was reached without fooling the classifier.</summary>
    MaxIterationsReached,

    /// <summary>The next step would have reached the norm budget (ADef's <c>MaxNorm</c>).</summary>
    BudgetExceeded,

    /// <summary>The step no longer changed the perturbation (or every candidate's gradient vanished).</summary>
    Stalled,

    /// <summary>The classifier already disagreed with the given true label; the image was not attacked.</summary>
    AlreadyMisclassified,

    /// <summary>
    /// The classifier returned a NaN or infinite logit or gradient for this image; the attack on it stopped there
    /// (never counted as success). The other images of the batch are not affected.
    /// </summary>
    NumericalFailure,

    /// <summary>
    /// With <see cref="AttackOptions.ValidImages"/>: the attack fooled the classifier in its float input space, but the image
    /// rounded to 8-bit pixels does not, and neither does any grown deformation or perturbation the repair tried within the
    /// budget. The result holds the last rounded image tried.
    /// </summary>
    LostToRounding,
}
