using Adef.MLNet.Attacks;
using Adef.MLNet.Classifiers;
using Microsoft.ML.Data;

namespace Adef.MLNet.Transforms;

/// <summary>Options of the DeepFool transform (<c>mlContext.Transforms.DeepFool</c>): the attack settings and the output column names.</summary>
public sealed class DeepFoolTransformOptions : AttackTransformOptions
{
    /// <summary>The DeepFool attack settings. Default <c>new DeepFoolOptions()</c> (see <see cref="DeepFoolOptions"/> for its defaults).</summary>
    public DeepFoolOptions Attack { get; set; } = new();

    /// <summary>Name of the perturbation column x_adv − x, a vector of C·H·W <see cref="float"/> in input units. Default "Perturbation".</summary>
    public string PerturbationColumnName { get; set; } = "Perturbation";

    internal override string AttackName => "DeepFool";

    internal override void Validate(int classCount)
    {
        ArgumentNullException.ThrowIfNull(Attack, nameof(Attack));
        ValidateCommon([PerturbationColumnName], classCount);
        Attack.Validate();
    }

    internal override AttackMapping CreateMapping(IDifferentiableClassifier classifier, string inputColumnName)
    {
        var attack = new DeepFoolAttack(classifier, Attack);
        return new AttackMapping(AttackName, classifier, inputColumnName, this,
        [
            .. AttackMapping.CommonOutputs(this, classifier.InputShape),
            new AttackOutputColumn(PerturbationColumnName, new VectorDataViewType(NumberDataViewType.Single, classifier.InputShape.Size), AttackOutput.Perturbation),
        ], (images, labels, targets) => attack.Run(images, labels, targets));
    }
}
