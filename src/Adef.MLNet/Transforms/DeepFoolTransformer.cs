using Adef.MLNet.Attacks;
using Adef.MLNet.Classifiers;
using Microsoft.ML.Data;

namespace Adef.MLNet.Transforms;

/// <summary>
/// The fitted DeepFool transform: adds a DeepFool adversarial perturbation (perturbed pixels, perturbation, labels, norms) to every row.
/// See <see cref="AttackTransformer{TOptions}"/> for how it runs, and why it cannot be saved with <c>MLContext.Model.Save</c>.
/// </summary>
public sealed class DeepFoolTransformer : AttackTransformer<DeepFoolTransformOptions>
{
    internal DeepFoolTransformer(IDifferentiableClassifier classifier, string inputColumnName, DeepFoolTransformOptions options, bool ownsClassifier,
        OnnxSource? onnxSource)
        : base(classifier, inputColumnName, options, ownsClassifier, onnxSource, CreateMapping(classifier, inputColumnName, options))
    {
    }

    internal static AttackMapping CreateMapping(IDifferentiableClassifier classifier, string inputColumnName, DeepFoolTransformOptions options)
    {
        var attack = new DeepFoolAttack(classifier, options.Attack);
        return new AttackMapping("DeepFool", classifier, inputColumnName, options,
            [.. AttackMapping.CommonOutputs(options, classifier.InputShape), new AttackOutputColumn(options.PerturbationColumnName, new VectorDataViewType(NumberDataViewType.Single, classifier.InputShape.Size), AttackOutput.Perturbation)],
            (images, labels) => attack.Run(images, labels));
    }
}
