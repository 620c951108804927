using Adef.MLNet.Attacks;
using Adef.MLNet.Classifiers;

namespace Adef.MLNet.Transforms;

/// <summary>Options of the PGD transform (<c>mlContext.Transforms.Pgd</c>): the attack settings and the output column names.</summary>
/// <remarks>PGD's random start draws image i of each batch from a generator seeded with (<see cref="PgdOptions.Seed"/>, i), and
/// the transform's batches are <see cref="AttackOptions.BatchSize"/> rows read in order, so a row's result depends on its
/// position within its batch: the same data in the same order gives the same adversarial pixels.</remarks>
public sealed class PgdTransformOptions : PerturbationTransformOptions
{
    /// <summary>The PGD attack settings; their <see cref="AttackOptions.BatchSize"/> is also how many rows the transform
    /// reads ahead. Default <c>new PgdOptions()</c> (see <see cref="PgdOptions"/> for its defaults: ε 0.3, 40 steps of 0.01,
    /// pixels clipped to [0, 1]).</summary>
    public PgdOptions Attack { get; set; } = new();

    internal override string AttackName => "Pgd";

    internal override AttackOptions AttackSettings => Attack;

    private protected override void ValidateAttack() => Attack.Validate();

    private protected override Func<ReadOnlyMemory<float>, IReadOnlyList<int>?, AttackResult[]> CreateAttack(IDifferentiableClassifier classifier)
    {
        var attack = new PgdAttack(classifier, Attack);
        return (images, labels) => attack.Run(images, labels);
    }
}
