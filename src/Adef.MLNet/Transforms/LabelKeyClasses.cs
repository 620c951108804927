using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace Adef.MLNet.Transforms;

/// <summary>
/// The class index each value of a key-typed label column stands for, read from the column's key values (ML.NET's
/// "KeyValues" annotation). <c>MapValueToKey</c> numbers keys in order of first occurrence by default, so key value 1 is
/// class 0 only by chance; taking the key's own name or number avoids attacking images under the wrong true label.
/// </summary>
internal static class LabelKeyClasses
{
    /// <summary>
    /// For a key column with key values: element v − 1 is the class index of key value v, matched by name against
    /// <paramref name="classNames"/> when given, else by the key value as a whole number in [0, <paramref name="classCount"/>).
    /// Null for a key column without key values (key value v is then class v − 1) and for non-key columns.
    /// </summary>
    /// <exception cref="InvalidOperationException">A key value matches no class (the message names it and the column).</exception>
    public static int[]? Map(DataViewSchema.Column column, int classCount, IReadOnlyList<string>? classNames)
    {
        if (column.Type is not KeyDataViewType) return null;
        string[]? names = KeyValues(column);
        if (names is null) return null;
        if (classNames is not null && TryMatch(names, name => IndexOf(classNames, name), out int[] byName)) return byName;
        if (TryMatch(names, name => ParseIndex(name, classCount), out int[] byNumber)) return byNumber;
        string unmatched = names.First(name => (classNames is null || IndexOf(classNames, name) < 0) && ParseIndex(name, classCount) < 0);
        throw new InvalidOperationException(
            $"Label column '{column.Name}' is a key column whose value '{unmatched}' names no class of the classifier " +
            (classNames is null
                ? $"(its key values are neither class indices in [0, {classCount}) nor matched by ClassNames). Set ClassNames to the classifier's class names in class-index order, or give the labels as class indices in a number column."
                : $"(ClassNames: {string.Join(", ", classNames.Take(10))}{(classNames.Count > 10 ? ", …" : "")}; nor is it a class index in [0, {classCount}))."));
    }

    private static bool TryMatch(string[] names, Func<string, int> classOf, out int[] classes)
    {
        classes = names.Select(classOf).ToArray();
        return classes.All(c => c >= 0);
    }

    private static int IndexOf(IReadOnlyList<string> classNames, string name)
    {
        for (int i = 0; i < classNames.Count; i++) if (string.Equals(classNames[i], name, StringComparison.Ordinal)) return i;
        return -1;
    }

    private static int ParseIndex(string name, int classCount) =>
        double.TryParse(name, NumberStyles.Float, CultureInfo.InvariantCulture, out double value)
        && value == Math.Floor(value) && value >= 0 && value < classCount ? (int)value : -1;

    /// <summary>The key values as text (numbers in invariant form), or null when the column has none.</summary>
    private static string[]? KeyValues(DataViewSchema.Column column)
    {
        DataViewSchema.Column? annotation = column.Annotations.Schema.GetColumnOrNull(AttackOutputColumn.KeyValuesKind);
        if (annotation?.Type is not VectorDataViewType { ItemType: var item }) return null;
        if (item is TextDataViewType) return Read<ReadOnlyMemory<char>>(column, v => v.ToString());
        if (item == NumberDataViewType.Int32) return Read<int>(column, Invariant);
        if (item == NumberDataViewType.UInt32) return Read<uint>(column, Invariant);
        if (item == NumberDataViewType.Int64) return Read<long>(column, Invariant);
        if (item == NumberDataViewType.UInt64) return Read<ulong>(column, Invariant);
        if (item == NumberDataViewType.Single) return Read<float>(column, Invariant);
        if (item == NumberDataViewType.Double) return Read<double>(column, Invariant);
        throw new InvalidOperationException(
            $"Label column '{column.Name}' is a key column whose key values are {item}; text or numbers are needed to match them to classes.");
    }

    private static string Invariant<T>(T value) where T : IFormattable => value.ToString(null, CultureInfo.InvariantCulture);

    private static string[] Read<T>(DataViewSchema.Column column, Func<T, string> format)
    {
        VBuffer<T> values = default;
        column.Annotations.GetValue(AttackOutputColumn.KeyValuesKind, ref values);
        return values.DenseValues().Select(format).ToArray();
    }
}
