using Adef.MLNet.Attacks;

namespace Adef.MLNet.Evaluation;

/// <summary>
/// One image's attack as recorded after the fact — a row of a results file or of an attacked <c>IDataView</c> — with the
/// numbers a <see cref="RobustnessReport"/> is made of and without the images (<see cref="RobustnessReport.FromRecords"/>).
/// </summary>
/// <param name="OriginalLabel">The classifier's label of the clean image.</param>
/// <param name="Outcome">How the attack ended; <see cref="AttackOutcome.AlreadyMisclassified"/> for images not attacked.</param>
/// <param name="Iterations">Iterations used.</param>
/// <param name="PixelL2">ℓ2 norm of the change to the input.</param>
/// <param name="PixelLInf">ℓ∞ norm of the change to the input; NaN when not recorded.</param>
/// <param name="TNorm">ADef: ‖τ‖_T in pixels; NaN for additive attacks (DeepFool, PGD).</param>
/// <param name="TrueLabel">The image's true label, or null when unknown.</param>
public readonly record struct AttackRecord(int OriginalLabel, AttackOutcome Outcome, int Iterations, double PixelL2, double PixelLInf,
    double TNorm = double.NaN, int? TrueLabel = null);
