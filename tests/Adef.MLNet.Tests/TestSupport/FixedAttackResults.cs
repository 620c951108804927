using Adef.MLNet.Attacks;

namespace Adef.MLNet.Tests.TestSupport;

/// <summary>
/// Five attack results whose report numbers can be checked by hand: three fooled (‖τ‖_T 1, 4, 2; pixel ℓ2 0.5, 2.5,
/// 1.5; iterations 3, 7, 5, in image order), one not fooled, one already misclassified.
/// </summary>
internal static class FixedAttackResults
{
    public static readonly (int Original, AttackOutcome Outcome, int Iterations, double TNorm, double PixelL2)[] Fixed =
    [
        (1, AttackOutcome.Fooled, 3, 1.0, 0.5),
        (1, AttackOutcome.Fooled, 7, 4.0, 2.5),
        (1, AttackOutcome.MaxIterationsReached, 50, 9.0, 9.0),
        (1, AttackOutcome.Fooled, 5, 2.0, 1.5),
        (2, AttackOutcome.AlreadyMisclassified, 0, 0.0, 0.0),
    ];

    /// <summary>The true labels: the last image's original label (2) is wrong.</summary>
    public static readonly int[] TrueLabels = [1, 1, 1, 1, 7];

    public static AdefResult[] AdefResults() => Fixed.Select((f, i) => new AdefResult
    {
        Index = i, OriginalLabel = f.Original, AdversarialLabel = f.Outcome == AttackOutcome.Fooled ? 0 : f.Original,
        Outcome = f.Outcome, Iterations = f.Iterations, AdversarialImage = [], PixelL2 = f.PixelL2, PixelLInf = 0,
        VectorField = [], TNorm = f.TNorm, FieldL2 = 0, Overshot = false,
    }).ToArray();

    /// <summary>DeepFool results of the first <paramref name="take"/> images.</summary>
    public static PerturbationResult[] DeepFoolResults(int take = 5) => Fixed.Take(take).Select((f, i) => new PerturbationResult
    {
        Index = i, OriginalLabel = f.Original, AdversarialLabel = f.Outcome == AttackOutcome.Fooled ? 0 : f.Original,
        Outcome = f.Outcome, Iterations = f.Iterations, AdversarialImage = [], PixelL2 = f.PixelL2, PixelLInf = 0, Perturbation = [],
    }).ToArray();
}
