using Adef.MLNet.Attacks;
using Adef.MLNet.Classifiers;

namespace Adef.MLNet.Transforms;

/// <summary>Options of the DeepFool transform (<c>mlContext.Transforms.DeepFool</c>): the attack settings and the output column names.</summary>
public sealed class DeepFoolTransformOptions : PerturbationTransformOptions
{
    /// <summary>The DeepFool attack settings; their <see cref="AttackOptions.BatchSize"/> is also how many rows the transform
    /// reads ahead. Default <c>new DeepFoolOptions()</c> (see <see cref="DeepFoolOptions"/> for its defaults).</summary>
    public DeepFoolOptions Attack { get; set; } = new();

    internal override string AttackName => "DeepFool";

    internal override AttackOptions AttackSettings => Attack;

    private protected override void ValidateAttack() => Attack.Validate();

    private protected override Func<ReadOnlyMemory<float>, IReadOnlyList<int>?, AttackResult[]> CreateAttack(IDifferentiableClassifier classifier)
    {
        var attack = new DeepFoolAttack(classifier, Attack);
        return (images, labels) => attack.Run(images, labels);
    }
}
