using Adef.MLNet.Attacks;
using Adef.MLNet.Classifiers;
using Microsoft.ML.Data;

namespace Adef.MLNet.Transforms;

/// <summary>
/// What the transforms of the additive attacks share (<see cref="DeepFoolTransformOptions"/>, <see cref="PgdTransformOptions"/>):
/// the attack settings and the perturbation x_adv − x, added to the common columns.
/// </summary>
/// <typeparam name="TAttack">The attack's options: <see cref="DeepFoolOptions"/> or <see cref="PgdOptions"/>.</typeparam>
public abstract class PerturbationTransformOptions<TAttack> : AttackTransformOptions
    where TAttack : AttackOptions, new()
{
    private protected PerturbationTransformOptions()
    {
    }

    /// <summary>The attack settings; their <see cref="AttackOptions.BatchSize"/> is also how many rows the transform reads ahead.
    /// Default: the attack's defaults (<c>new DeepFoolOptions()</c>, <c>new PgdOptions()</c>).</summary>
    public TAttack Attack { get; set; } = new();

    /// <summary>Name of the perturbation column x_adv − x, a vector of C·H·W <see cref="float"/> in input units. Default "Perturbation".</summary>
    public string PerturbationColumnName { get; set; } = "Perturbation";

    internal override AttackOptions AttackSettings => Attack;

    /// <summary>Checks <see cref="Attack"/> (each attack's options have their own <c>Validate</c>).</summary>
    private protected abstract void ValidateAttack();

    /// <summary>The attack over <paramref name="classifier"/> with <see cref="Attack"/>.</summary>
    private protected abstract ImageAttack<TAttack, PerturbationResult> CreateAttack(IDifferentiableClassifier classifier);

    internal override void Validate(int classCount)
    {
        ValidateCommon([PerturbationColumnName], classCount);
        ValidateAttack();
    }

    internal override AttackMapping CreateMapping(IDifferentiableClassifier classifier)
    {
        ImageAttack<TAttack, PerturbationResult> attack = CreateAttack(classifier);
        return new(classifier, this,
        [
            .. AttackMapping.CommonOutputs(this, classifier),
            new AttackOutputColumn(PerturbationColumnName, new VectorDataViewType(NumberDataViewType.Single, classifier.InputShape.Size), AttackOutput.Perturbation),
        ], (images, labels, targets) => attack.Run(images, labels, targets));
    }
}
