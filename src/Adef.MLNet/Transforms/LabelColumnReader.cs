using Microsoft.ML;
using Microsoft.ML.Data;

namespace Adef.MLNet.Transforms;

/// <summary>Reads a true-label (or original-label) column of a row as class indices, whatever type ML.NET stores it in.</summary>
internal static class LabelColumnReader
{
    /// <summary>The label column types read: Int32, UInt32, Int64, Single and Double holding class indices, or a key.</summary>
    public static bool IsSupported(DataViewType type) =>
        type is KeyDataViewType
        || type == NumberDataViewType.Int32 || type == NumberDataViewType.UInt32 || type == NumberDataViewType.Int64
        || type == NumberDataViewType.Single || type == NumberDataViewType.Double;

    /// <summary>Reads a label column as class indices in [0, <paramref name="classCount"/>): key value v is class
    /// <c>keyClasses[v − 1]</c>, or v − 1 without <paramref name="keyClasses"/>.</summary>
    public static Func<int> Create(DataViewRow row, DataViewSchema.Column column, int classCount, int[]? keyClasses = null)
    {
        int Check(long label) => label >= 0 && label < classCount
            ? (int)label
            : throw new InvalidOperationException(
                $"Label column '{column.Name}' holds {label} at row {row.Position}; class indices must lie in [0, {classCount}).");
        int CheckReal(double label) => label == Math.Floor(label)
            ? Check((long)label)
            : throw new InvalidOperationException(
                $"Label column '{column.Name}' holds {label} at row {row.Position}; class indices must be whole numbers.");
        switch (column.Type)
        {
            case KeyDataViewType:
            {
                ValueGetter<uint> get = row.GetGetter<uint>(column);
                if (keyClasses is null) return () => { uint v = 0; get(ref v); return Check((long)v - 1); };
                return () =>
                {
                    uint v = 0;
                    get(ref v);
                    return v >= 1 && v <= keyClasses.Length ? keyClasses[v - 1] : Check((long)v - 1);
                };
            }
            case NumberDataViewType t when t == NumberDataViewType.Int32:
            {
                ValueGetter<int> get = row.GetGetter<int>(column);
                return () => { int v = 0; get(ref v); return Check(v); };
            }
            case NumberDataViewType t when t == NumberDataViewType.UInt32:
            {
                ValueGetter<uint> get = row.GetGetter<uint>(column);
                return () => { uint v = 0; get(ref v); return Check(v); };
            }
            case NumberDataViewType t when t == NumberDataViewType.Int64:
            {
                ValueGetter<long> get = row.GetGetter<long>(column);
                return () => { long v = 0; get(ref v); return Check(v); };
            }
            case NumberDataViewType t when t == NumberDataViewType.Single:
            {
                ValueGetter<float> get = row.GetGetter<float>(column);
                return () => { float v = 0; get(ref v); return CheckReal(v); };
            }
            default:
            {
                ValueGetter<double> get = row.GetGetter<double>(column);
                return () => { double v = 0; get(ref v); return CheckReal(v); };
            }
        }
    }
}
