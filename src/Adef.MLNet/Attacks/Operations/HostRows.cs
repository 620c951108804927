using System.Buffers;

namespace Adef.MLNet.Attacks.Operations;

/// <summary>Rows in a pooled host array: row i is <see cref="RowLength"/> floats at offset i·<see cref="RowLength"/>.</summary>
internal sealed class HostRows : IRows
{
    private float[]? _data;

    public HostRows(int count, int planes, int planeSize)
    {
        Count = count;
        Planes = planes;
        RowLength = planes * planeSize;
        _data = ArrayPool<float>.Shared.Rent(Math.Max(1, checked(count * RowLength)));
    }

    public int Count { get; }

    public int Planes { get; }

    /// <summary>Floats per row.</summary>
    public int RowLength { get; }

    /// <summary>The rented array (longer than <see cref="Span"/> may be).</summary>
    public float[] Array => _data ?? throw new ObjectDisposedException(nameof(HostRows));

    /// <summary>All rows.</summary>
    public Span<float> Span => Array.AsSpan(0, Count * RowLength);

    /// <summary>Row <paramref name="i"/>.</summary>
    public Span<float> Row(int i) => Array.AsSpan(i * RowLength, RowLength);

    public void Dispose()
    {
        if (_data is null) return;
        ArrayPool<float>.Shared.Return(_data);
        _data = null;
    }
}
