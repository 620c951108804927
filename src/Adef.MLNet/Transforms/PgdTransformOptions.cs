using Adef.MLNet.Attacks;
using Adef.MLNet.Classifiers;

namespace Adef.MLNet.Transforms;

/// <summary>Options of the PGD transform (<c>mlContext.Transforms.Pgd</c>): the attack settings (<see cref="PgdOptions"/>: by
/// default ε 0.3, 40 steps of 0.01, pixels clipped to [0, 1]) and the output column names.</summary>
/// <remarks>PGD's random start draws image i of each batch from a generator seeded with (<see cref="PgdOptions.Seed"/>, i), and
/// the transform's batches are <see cref="AttackOptions.BatchSize"/> rows read in order, so a row's result depends on its
/// position within its batch: the same data in the same order gives the same adversarial pixels.</remarks>
public sealed class PgdTransformOptions : PerturbationTransformOptions<PgdOptions>
{
    internal override string AttackName => "Pgd";

    private protected override void ValidateAttack() => Attack.Validate();

    private protected override ImageAttack<PgdOptions, PerturbationResult> CreateAttack(IDifferentiableClassifier classifier) =>
        new PgdAttack(classifier, Attack);
}
