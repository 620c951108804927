using Adef.MLNet.Attacks;
using Adef.MLNet.Classifiers;

namespace Adef.MLNet.Transforms;

/// <summary>Options of the DeepFool transform (<c>mlContext.Transforms.DeepFool</c>): the attack settings (<see cref="DeepFoolOptions"/>)
/// and the output column names.</summary>
public sealed class DeepFoolTransformOptions : PerturbationTransformOptions<DeepFoolOptions>
{
    internal override string AttackName => "DeepFool";

    private protected override void ValidateAttack() => Attack.Validate();

    private protected override ImageAttack<DeepFoolOptions, PerturbationResult> CreateAttack(IDifferentiableClassifier classifier) =>
        new DeepFoolAttack(classifier, Attack);
}
