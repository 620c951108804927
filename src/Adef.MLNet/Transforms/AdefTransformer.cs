using Adef.MLNet.Attacks;
using Adef.MLNet.Classifiers;
using Microsoft.ML.Data;

namespace Adef.MLNet.Transforms;

/// <summary>
/// The fitted Adef transform: adds an ADef adversarial deformation (deformed pixels, vector field, labels, norms) to every row.
/// See <see cref="AttackTransformer{TOptions}"/> for how it runs, and why it cannot be saved with <c>MLContext.Model.Save</c>.
/// </summary>
public sealed class AdefTransformer : AttackTransformer<AdefTransformOptions>
{
    internal AdefTransformer(IDifferentiableClassifier classifier, string inputColumnName, AdefTransformOptions options, bool ownsClassifier,
        OnnxSource? onnxSource)
        : base(classifier, inputColumnName, options, ownsClassifier, onnxSource, CreateMapping(classifier, inputColumnName, options))
    {
    }

    internal static AttackMapping CreateMapping(IDifferentiableClassifier classifier, string inputColumnName, AdefTransformOptions options)
    {
        var attack = new AdefAttack(classifier, options.Attack);
        return new AttackMapping("Adef", classifier, inputColumnName, options,
            [.. AttackMapping.CommonOutputs(options, classifier.InputShape), new AttackOutputColumn(options.VectorFieldColumnName, new VectorDataViewType(NumberDataViewType.Single, classifier.InputShape.FieldSize), AttackOutput.VectorField),
            new AttackOutputColumn(options.TNormColumnName, NumberDataViewType.Double, AttackOutput.TNorm),
            new AttackOutputColumn(options.FieldL2ColumnName, NumberDataViewType.Double, AttackOutput.FieldL2)],
            (images, labels) => attack.Run(images, labels));
    }
}
