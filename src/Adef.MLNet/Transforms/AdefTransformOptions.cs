using Adef.MLNet.Attacks;
using Adef.MLNet.Classifiers;
using Microsoft.ML.Data;

namespace Adef.MLNet.Transforms;

/// <summary>Options of the ADef transform (<c>mlContext.Transforms.Adef</c>): the attack settings and the output column names.</summary>
public sealed class AdefTransformOptions : AttackTransformOptions
{
    /// <summary>The ADef attack settings; their <see cref="AttackOptions.BatchSize"/> is also how many rows the transform
    /// reads ahead. Default <c>new AdefOptions()</c> (see <see cref="AdefOptions"/> for its defaults).</summary>
    public AdefOptions Attack { get; set; } = new();

    /// <summary>Name of the vector field column τ, a vector of 2·H·W <see cref="float"/> in pixels (plane 0 = x, plane 1 = y). Default "VectorField".</summary>
    public string VectorFieldColumnName { get; set; } = "VectorField";

    /// <summary>Name of the <see cref="double"/> column holding ‖τ‖_T in pixels. Default "TNorm".</summary>
    public string TNormColumnName { get; set; } = "TNorm";

    /// <summary>Name of the <see cref="double"/> column holding ‖τ‖₂ in pixels. Default "FieldL2".</summary>
    public string FieldL2ColumnName { get; set; } = "FieldL2";

    /// <summary>Name of the <see cref="bool"/> column that says whether the field was scaled by
    /// <see cref="AdefOptions.OvershootFactor"/> after the iterations (<see cref="AdefResult.Overshot"/>). Default "Overshot".</summary>
    public string OvershotColumnName { get; set; } = "Overshot";

    internal override string AttackName => "Adef";

    internal override AttackOptions AttackSettings => Attack;

    internal override void Validate(int classCount)
    {
        ValidateCommon([VectorFieldColumnName, TNormColumnName, FieldL2ColumnName, OvershotColumnName], classCount);
        Attack.Validate(classCount);
    }

    internal override AttackMapping CreateMapping(IDifferentiableClassifier classifier)
    {
        var attack = new AdefAttack(classifier, Attack);
        return new AttackMapping(classifier, this,
        [
            .. AttackMapping.CommonOutputs(this, classifier),
            new AttackOutputColumn(VectorFieldColumnName, new VectorDataViewType(NumberDataViewType.Single, classifier.InputShape.FieldSize), AttackOutput.VectorField),
            new AttackOutputColumn(TNormColumnName, NumberDataViewType.Double, AttackOutput.TNorm),
            new AttackOutputColumn(FieldL2ColumnName, NumberDataViewType.Double, AttackOutput.FieldL2),
            new AttackOutputColumn(OvershotColumnName, BooleanDataViewType.Instance, AttackOutput.Overshot),
        ], (images, labels, targets) => attack.Run(images, labels, targets));
    }
}
