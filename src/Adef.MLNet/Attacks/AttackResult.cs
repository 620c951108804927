namespace Adef.MLNet.Attacks;

/// <summary>What an attack returns for one image. Images and perturbations are in the classifier's input space.</summary>
public abstract class AttackResult
{
    /// <summary>Position of the image in the batch passed to the attack.</summary>
    public required int Index { get; init; }

    /// <summary>The classifier's label of the clean image.</summary>
    public required int OriginalLabel { get; init; }

    /// <summary>The classifier's label of <see cref="AdversarialImage"/>.</summary>
    public required int AdversarialLabel { get; init; }

    /// <summary>
    /// The label the attack had to reach (the image's entry in the targets of a targeted run): success means
    /// <see cref="AdversarialLabel"/> equals it. <see langword="null"/> in an untargeted run, where any other label than
    /// <see cref="OriginalLabel"/> counts.
    /// </summary>
    public int? Target { get; init; }

    /// <summary>Whether the attack fooled the classifier (see <see cref="AttackOutcome.Fooled"/>).</summary>
    public bool Success => Outcome == AttackOutcome.Fooled;

    /// <summary>How the attack ended.</summary>
    public required AttackOutcome Outcome { get; init; }

    /// <summary>Iterations used: n at success, n − 1 when step n stalled or exceeded the budget, the limit otherwise.</summary>
    public required int Iterations { get; init; }

    /// <summary>The adversarial image, C×H×W (the original when the attack did not move it).</summary>
    public required float[] AdversarialImage { get; init; }

    /// <summary>
    /// With <see cref="AttackOptions.ValidImages"/>: whether <see cref="AdversarialImage"/>, which then lies on the 8-bit pixel
    /// grid, fools the classifier (equal to <see cref="Success"/>). <see langword="null"/> when not checked: without the
    /// option, and for images that were not attacked (<see cref="AttackOutcome.AlreadyMisclassified"/>) or failed numerically.
    /// </summary>
    public bool? FoolsAfterRounding { get; init; }

    /// <summary>ℓ2 norm of the pixel change, ‖x_adv − x‖₂.</summary>
    public required double PixelL2 { get; init; }

    /// <summary>ℓ∞ norm of the pixel change, max |x_adv − x|.</summary>
    public required double PixelLInf { get; init; }

    /// <summary>
    /// ℓ2 norm of the pixel change in 8-bit levels (0–255 per channel), comparable across models: each channel's change
    /// times <see cref="Data.ImagePreprocessing.LevelsPerUnit"/> of the classifier's
    /// <see cref="Classifiers.IDifferentiableClassifier.InputPreprocessing"/>. <see langword="null"/> when the classifier
    /// states no preprocessing.
    /// </summary>
    public double? LevelL2 { get; internal set; }

    /// <summary>ℓ∞ norm of the pixel change in 8-bit levels (0–255), as <see cref="LevelL2"/>; <see langword="null"/> when the
    /// classifier states no preprocessing.</summary>
    public double? LevelLInf { get; internal set; }

    /// <summary>Sets <see cref="LevelL2"/> and <see cref="LevelLInf"/> from the clean image and <paramref name="preprocessing"/>.</summary>
    internal void MeasureInLevels(ReadOnlySpan<float> original, Data.ImagePreprocessing preprocessing)
    {
        int plane = original.Length / preprocessing.Channels;
        double sum = 0, max = 0;
        for (int c = 0; c < preprocessing.Channels; c++)
        {
            double levels = preprocessing.LevelsPerUnit(c);
            for (int p = c * plane; p < (c + 1) * plane; p++)
            {
                double change = Math.Abs((double)AdversarialImage[p] - original[p]) * levels;
                sum += change * change;
                max = Math.Max(max, change);
            }
        }
        LevelL2 = Math.Sqrt(sum);
        LevelLInf = max;
    }
}

/// <summary>ADef's result for one image.</summary>
public sealed class AdefResult : AttackResult
{
    /// <summary>The total vector field τ, 2×H×W (plane 0 = x-displacement along columns, plane 1 = y along rows), in pixels.</summary>
    public required float[] VectorField { get; init; }

    /// <summary>‖τ‖_T = max over pixels of the displacement length, in pixels.</summary>
    public required double TNorm { get; init; }

    /// <summary>‖τ‖₂ over all pixels and both planes, in pixels.</summary>
    public required double FieldL2 { get; init; }

    /// <summary>Whether the field was scaled by the overshoot factor after the iterations.</summary>
    public required bool Overshot { get; init; }
}

/// <summary>The result of an additive attack (<see cref="DeepFoolAttack"/>, <see cref="PgdAttack"/>) for one image.</summary>
public sealed class PerturbationResult : AttackResult
{
    /// <summary>
    /// The additive perturbation actually applied, x_adv − x, C×H×W in input units (after any clipping; for PGD within the
    /// ε ball).
    /// </summary>
    public required float[] Perturbation { get; init; }

    /// <summary>The result of an image that ends as <paramref name="adversarial"/>: its perturbation and norms measured against the clean image.</summary>
    internal static PerturbationResult Create(AttackImageState state, ReadOnlySpan<float> adversarial)
    {
        ReadOnlySpan<float> original = state.Original.Span;
        var perturbation = new float[original.Length];
        for (int p = 0; p < perturbation.Length; p++) perturbation[p] = adversarial[p] - original[p];
        return new PerturbationResult
        {
            Index = state.Index,
            OriginalLabel = state.OriginalLabel,
            Target = state.Target,
            AdversarialLabel = state.Label,
            Outcome = state.Outcome!.Value,
            Iterations = state.ReportedIterations,
            FoolsAfterRounding = state.FoolsAfterRounding,
            AdversarialImage = adversarial.ToArray(),
            Perturbation = perturbation,
            PixelL2 = Imaging.FieldNorms.L2(perturbation),
            PixelLInf = Imaging.FieldNorms.LInf(perturbation),
        };
    }
}
