namespace Adef.MLNet.Attacks.Operations;

/// <summary>
/// The rows of the images under attack, where the operations compute: the clean images, the current images
/// x_n and the attack's own per-image rows (ADef's field τ, DeepFool's accumulated r). Row i belongs to the
/// driver's i-th resident image.
/// </summary>
internal sealed class ResidentRows(AttackOperations ops, int channels, int auxPlanes) : IDisposable
{
    private IRows _originals = ops.Zeros(0, channels);
    private IRows _current = ops.Zeros(0, channels);
    private IRows _aux = ops.Zeros(0, auxPlanes);

    /// <summary>The clean images.</summary>
    public IRows Originals => _originals;

    /// <summary>The images the classifier sees next.</summary>
    public IRows Current => _current;

    /// <summary>The attack's per-image rows (zero at admission).</summary>
    public IRows Aux => _aux;

    /// <summary>Number of resident images.</summary>
    public int Count => _originals.Count;

    /// <summary>Appends freshly admitted images (current = original, aux = 0).</summary>
    public void Append(IRows originals)
    {
        var all = Enumerable.Range(0, originals.Count).ToArray();
        using IRows current = ops.Gather(originals, all);
        using IRows aux = ops.Zeros(originals.Count, _aux.Planes);
        Replace(ref _originals, ops.Concat(_originals, originals));
        Replace(ref _current, ops.Concat(_current, current));
        Replace(ref _aux, ops.Concat(_aux, aux));
    }

    /// <summary>Keeps only the rows at <paramref name="keep"/>, in that order.</summary>
    public void Retain(int[] keep)
    {
        if (keep.Length == Count) return; // rows only ever leave, so an equal count means all of them, in order
        Replace(ref _originals, ops.Gather(_originals, keep));
        Replace(ref _current, ops.Gather(_current, keep));
        Replace(ref _aux, ops.Gather(_aux, keep));
    }

    /// <summary>Rows at <paramref name="positions"/> of <paramref name="rows"/>, borrowed when they are all rows in order.</summary>
    public RowsLease Select(IRows rows, int[] positions) =>
        IsIdentity(positions, rows.Count) ? new RowsLease(rows, owned: false) : new RowsLease(ops.Gather(rows, positions), owned: true);

    /// <summary>Whether <paramref name="positions"/> is 0, 1, …, count − 1.</summary>
    public static bool IsIdentity(int[] positions, int count)
    {
        if (positions.Length != count) return false;
        for (int i = 0; i < positions.Length; i++) if (positions[i] != i) return false;
        return true;
    }

    public void Dispose()
    {
        _originals.Dispose();
        _current.Dispose();
        _aux.Dispose();
    }

    private static void Replace(ref IRows field, IRows value)
    {
        IRows old = field;
        field = value;
        old.Dispose();
    }
}

/// <summary>Rows that are either owned (disposed with the lease) or borrowed.</summary>
internal readonly struct RowsLease(IRows rows, bool owned) : IDisposable
{
    public IRows Rows { get; } = rows;

    public void Dispose()
    {
        if (owned) Rows.Dispose();
    }
}
