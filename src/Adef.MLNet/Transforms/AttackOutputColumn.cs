using Adef.MLNet.Attacks;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace Adef.MLNet.Transforms;

/// <summary>What an output column holds.</summary>
internal enum AttackOutput
{
    AdversarialPixels,
    VectorField,
    Perturbation,
    OriginalLabel,
    AdversarialLabel,
    Success,
    Outcome,
    Overshot,
    FoolsAfterRounding,
    Iterations,
    TNorm,
    FieldL2,
    PixelL2,
    PixelLInf,
    LevelL2,
    LevelLInf,
}

/// <summary>One column an attack transform adds; <paramref name="KeyNames"/> are the key values of a key-typed label column.</summary>
internal sealed record AttackOutputColumn(string Name, DataViewType Type, AttackOutput Output, IReadOnlyList<string>? KeyNames = null)
{
    /// <summary>ML.NET's annotation kind for the names of a key column's values (<c>AnnotationUtils.Kinds.KeyValues</c>).</summary>
    public const string KeyValuesKind = "KeyValues";

    /// <summary>The key-values annotation of a key column (ML.NET's "KeyValues" kind), or null.</summary>
    public DataViewSchema.Annotations? KeyValuesAnnotation()
    {
        if (KeyNames is null) return null;
        var names = KeyNames.Select(n => n.AsMemory()).ToArray();
        var builder = new DataViewSchema.Annotations.Builder();
        builder.Add(KeyValuesKind, new VectorDataViewType(TextDataViewType.Instance, names.Length),
            (ref VBuffer<ReadOnlyMemory<char>> value) => value = new VBuffer<ReadOnlyMemory<char>>(names.Length, names));
        return builder.ToAnnotations();
    }
}

/// <summary>The getters of the output columns: each reads one field of the current row's <see cref="AttackResult"/>.</summary>
internal static class AttackOutputGetters
{
    /// <summary>A getter of one output column of the result <paramref name="current"/> returns.</summary>
    public static Delegate For(AttackOutputColumn column, Func<AttackResult> current) => column switch
    {
        { Output: AttackOutput.OriginalLabel, KeyNames: not null } => (ValueGetter<uint>)((ref uint v) => v = (uint)current().OriginalLabel + 1),
        { Output: AttackOutput.AdversarialLabel, KeyNames: not null } => (ValueGetter<uint>)((ref uint v) => v = (uint)current().AdversarialLabel + 1),
        _ => OutputGetter(column.Output, current),
    };

    private static Delegate OutputGetter(AttackOutput output, Func<AttackResult> current) => output switch
    {
        AttackOutput.AdversarialPixels => (ValueGetter<VBuffer<float>>)((ref VBuffer<float> v) => Dense(current().AdversarialImage, ref v)),
        AttackOutput.VectorField => (ValueGetter<VBuffer<float>>)((ref VBuffer<float> v) => Dense(((AdefResult)current()).VectorField, ref v)),
        AttackOutput.Perturbation => (ValueGetter<VBuffer<float>>)((ref VBuffer<float> v) => Dense(((PerturbationResult)current()).Perturbation, ref v)),
        AttackOutput.OriginalLabel => (ValueGetter<int>)((ref int v) => v = current().OriginalLabel),
        AttackOutput.AdversarialLabel => (ValueGetter<int>)((ref int v) => v = current().AdversarialLabel),
        AttackOutput.Success => (ValueGetter<bool>)((ref bool v) => v = current().Success),
        AttackOutput.Outcome => (ValueGetter<ReadOnlyMemory<char>>)((ref ReadOnlyMemory<char> v) => v = OutcomeNames[current().Outcome]),
        AttackOutput.Overshot => (ValueGetter<bool>)((ref bool v) => v = ((AdefResult)current()).Overshot),
        AttackOutput.FoolsAfterRounding => (ValueGetter<bool>)((ref bool v) => v = current().FoolsAfterRounding == true),
        AttackOutput.Iterations => (ValueGetter<int>)((ref int v) => v = current().Iterations),
        AttackOutput.TNorm => (ValueGetter<double>)((ref double v) => v = ((AdefResult)current()).TNorm),
        AttackOutput.FieldL2 => (ValueGetter<double>)((ref double v) => v = ((AdefResult)current()).FieldL2),
        AttackOutput.PixelL2 => (ValueGetter<double>)((ref double v) => v = current().PixelL2),
        AttackOutput.PixelLInf => (ValueGetter<double>)((ref double v) => v = current().PixelLInf),
        AttackOutput.LevelL2 => (ValueGetter<double>)((ref double v) => v = current().LevelL2 ?? double.NaN),
        AttackOutput.LevelLInf => (ValueGetter<double>)((ref double v) => v = current().LevelLInf ?? double.NaN),
        _ => throw new ArgumentOutOfRangeException(nameof(output)),
    };

    /// <summary>Each outcome's name, made once: the getter hands out the same text for every row with that outcome.</summary>
    private static readonly Dictionary<AttackOutcome, ReadOnlyMemory<char>> OutcomeNames =
        Enum.GetValues<AttackOutcome>().ToDictionary(o => o, o => o.ToString().AsMemory());

    private static void Dense(float[] values, ref VBuffer<float> destination)
    {
        VBufferEditor<float> editor = VBufferEditor.Create(ref destination, values.Length);
        values.CopyTo(editor.Values);
        destination = editor.Commit();
    }
}
