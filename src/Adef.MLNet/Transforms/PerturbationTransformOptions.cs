using Adef.MLNet.Attacks;
using Adef.MLNet.Classifiers;
using Microsoft.ML.Data;

namespace Adef.MLNet.Transforms;

/// <summary>
/// What the transforms of the additive attacks share (<see cref="DeepFoolTransformOptions"/>, <see cref="PgdTransformOptions"/>):
/// both add the perturbation x_adv − x to the common columns.
/// </summary>
public abstract class PerturbationTransformOptions : AttackTransformOptions
{
    private protected PerturbationTransformOptions()
    {
    }

    /// <summary>Name of the perturbation column x_adv − x, a vector of C·H·W <see cref="float"/> in input units. Default "Perturbation".</summary>
    public string PerturbationColumnName { get; set; } = "Perturbation";

    /// <summary>Checks the attack settings (the subclass's <c>Attack</c>).</summary>
    private protected abstract void ValidateAttack();

    /// <summary>The attack over <paramref name="classifier"/>, as a function of a batch of images and optional true labels.</summary>
    private protected abstract Func<ReadOnlyMemory<float>, IReadOnlyList<int>?, AttackResult[]> CreateAttack(IDifferentiableClassifier classifier);

    internal override void Validate(int classCount)
    {
        ValidateCommon([PerturbationColumnName], classCount);
        ValidateAttack();
    }

    internal override AttackMapping CreateMapping(IDifferentiableClassifier classifier) =>
        new(classifier, this,
        [
            .. AttackMapping.CommonOutputs(this, classifier.InputShape),
            new AttackOutputColumn(PerturbationColumnName, new VectorDataViewType(NumberDataViewType.Single, classifier.InputShape.Size), AttackOutput.Perturbation),
        ], CreateAttack(classifier));
}
