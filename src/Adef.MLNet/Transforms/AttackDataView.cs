using Adef.MLNet.Attacks;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace Adef.MLNet.Transforms;

/// <summary>
/// The lazy result of an attack transformer's <c>Transform</c>: the source columns passed through,
/// plus the attack's columns, computed batch by batch when a cursor asks for them.
/// </summary>
internal sealed class AttackDataView : IDataView
{
    private readonly AttackMapping _mapping;
    private readonly IDataView _source;

    public AttackDataView(AttackMapping mapping, IDataView source)
    {
        _mapping = mapping;
        _source = source;
        Schema = mapping.GetOutputSchema(source.Schema);
    }

    public bool CanShuffle => false;

    public DataViewSchema Schema { get; }

    public long? GetRowCount() => _source.GetRowCount();

    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null)
    {
        (bool[] active, bool attack, IEnumerable<DataViewSchema.Column> sourceColumns) = Plan(columnsNeeded);
        return new Cursor(this, _source.GetRowCursor(sourceColumns, rand), active, attack);
    }

    /// <summary>
    /// Splits like the source does (up to <paramref name="n"/> cursors over disjoint rows); each cursor
    /// batches its own rows, so the classifier sees batches from several threads (calls into one
    /// classifier are serialised by the classifier).
    /// </summary>
    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null)
    {
        (bool[] active, bool attack, IEnumerable<DataViewSchema.Column> sourceColumns) = Plan(columnsNeeded);
        return _source.GetRowCursorSet(sourceColumns, n, rand)
            .Select(source => (DataViewRowCursor)new Cursor(this, source, active, attack))
            .ToArray();
    }

    /// <summary>Which output columns are active, whether the attack must run, and the source columns that needs.</summary>
    private (bool[] Active, bool Attack, IEnumerable<DataViewSchema.Column> SourceColumns) Plan(IEnumerable<DataViewSchema.Column> columnsNeeded)
    {
        ArgumentNullException.ThrowIfNull(columnsNeeded);
        var active = new bool[Schema.Count];
        foreach (DataViewSchema.Column column in columnsNeeded) active[column.Index] = true;
        int inputCount = _source.Schema.Count;
        bool attack = active.Skip(inputCount).Any(a => a);
        var sourceColumns = new HashSet<int>(Enumerable.Range(0, inputCount).Where(i => active[i]));
        if (attack)
        {
            sourceColumns.Add(_source.Schema[_mapping.InputColumnName].Index);
            foreach (string name in _mapping.LabelColumnNames) sourceColumns.Add(_source.Schema[name].Index);
        }
        return (active, attack, sourceColumns.Order().Select(i => _source.Schema[i]).ToArray());
    }

    /// <summary>Reads up to BatchSize source rows ahead, attacks them in one call, then serves them one by one.</summary>
    private sealed class Cursor : DataViewRowCursor
    {
        private readonly AttackDataView _view;
        private readonly DataViewRowCursor _source;
        private readonly bool[] _active;
        private readonly bool _attack;
        private readonly int _batchSize;
        private readonly int _imageSize;
        private readonly ColumnCache?[] _caches;
        private readonly DataViewRowId[] _ids;
        private readonly long[] _batches;
        private readonly ValueGetter<DataViewRowId> _idGetter;
        private readonly Action<Span<float>>? _readPixels;
        private readonly Func<int>? _labelReader;
        private readonly Func<int>? _targetReader;
        private readonly float[] _images = [];
        private readonly int[]? _labels;
        private readonly int[]? _targets;
        private AttackResult[] _results = [];
        private int _filled;
        private int _slot = -1;
        private long _position = -1;
        private bool _done;

        public Cursor(AttackDataView view, DataViewRowCursor source, bool[] active, bool attack)
        {
            _view = view;
            _source = source;
            _active = active;
            _attack = attack;
            AttackMapping mapping = view._mapping;
            _batchSize = mapping.BatchSize;
            _imageSize = mapping.Shape.Size;
            int inputCount = source.Schema.Count;
            _caches = new ColumnCache?[inputCount];
            for (int i = 0; i < inputCount; i++)
                if (active[i]) _caches[i] = ColumnCache.Create(source, source.Schema[i], _batchSize);
            _ids = new DataViewRowId[_batchSize];
            _batches = new long[_batchSize];
            _idGetter = source.GetIdGetter();
            if (attack)
            {
                _images = new float[_batchSize * _imageSize];
                _readPixels = PixelColumnReader.Create(source, source.Schema[mapping.InputColumnName], mapping);
                (_labelReader, _targetReader) = mapping.LabelReaders(source);
                if (_labelReader is not null) _labels = new int[_batchSize];
                if (_targetReader is not null) _targets = new int[_batchSize];
            }
        }

        public override DataViewSchema Schema => _view.Schema;

        public override long Position => _position;

        /// <summary>The source's batch of the current row, so that ML.NET can consolidate a cursor set in order.</summary>
        public override long Batch => _filled == 0 ? 0 : _batches[CurrentSlot];

        public override bool IsColumnActive(DataViewSchema.Column column) => _active[column.Index];

        public override ValueGetter<DataViewRowId> GetIdGetter() => (ref DataViewRowId value) => value = _ids[CurrentSlot];

        public override bool MoveNext()
        {
            if (_done) return false;
            if (_slot + 1 < _filled)
            {
                _slot++;
                _position++;
                return true;
            }
            Fill();
            if (_filled == 0)
            {
                _done = true;
                return false;
            }
            _slot = 0;
            _position++;
            return true;
        }

        private void Fill()
        {
            _filled = 0;
            while (_filled < _batchSize && _source.MoveNext())
            {
                int slot = _filled;
                foreach (ColumnCache? cache in _caches) cache?.Load(slot);
                _idGetter(ref _ids[slot]);
                _batches[slot] = _source.Batch;
                if (_attack)
                {
                    _readPixels!(_images.AsSpan(slot * _imageSize, _imageSize));
                    if (_labels is not null) _labels[slot] = _labelReader!();
                    if (_targets is not null) _targets[slot] = _targetReader!();
                }
                _filled++;
            }
            if (_attack && _filled > 0)
                _results = _view._mapping.Run(_images.AsMemory(0, _filled * _imageSize), Filled(_labels), Filled(_targets));
        }

        private IReadOnlyList<int>? Filled(int[]? values) => values is null ? null : (IReadOnlyList<int>)new ArraySegment<int>(values, 0, _filled);

        private int CurrentSlot => _slot >= 0 && _slot < _filled
            ? _slot
            : throw new InvalidOperationException("The cursor is not on a row; call MoveNext first.");

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
        {
            if (!_active[column.Index])
                throw new InvalidOperationException($"Column '{column.Name}' was not requested when the cursor was created.");
            int inputCount = _caches.Length;
            Delegate getter = column.Index < inputCount
                ? _caches[column.Index]!.CreateGetter(() => CurrentSlot)
                : AttackOutputGetters.For(_view._mapping.Outputs[column.Index - inputCount], () => Current);
            return getter as ValueGetter<TValue> ?? throw new InvalidOperationException(
                $"Column '{column.Name}' has type {column.Type} (raw type {column.Type.RawType.Name}), not {typeof(TValue).Name}.");
        }

        private AttackResult Current => _results[CurrentSlot];

        protected override void Dispose(bool disposing)
        {
            if (disposing) _source.Dispose();
            _done = true;
            base.Dispose(disposing);
        }
    }

    /// <summary>Values of one pass-through column for the rows read ahead (deep copies: sources reuse buffers).</summary>
    private abstract class ColumnCache
    {
        public abstract void Load(int slot);

        public abstract Delegate CreateGetter(Func<int> slot);

        public static ColumnCache Create(DataViewRow row, DataViewSchema.Column column, int capacity)
        {
            // Reflection over this class's own generic methods only, to reach the column's raw type.
            string method = column.Type is VectorDataViewType ? nameof(CreateVector) : nameof(CreateScalar);
            Type type = column.Type is VectorDataViewType vector ? vector.ItemType.RawType : column.Type.RawType;
            return (ColumnCache)typeof(ColumnCache)
                .GetMethod(method, System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Static)!
                .MakeGenericMethod(type)
                .Invoke(null, [row, column, capacity])!;
        }

        private static ColumnCache CreateVector<T>(DataViewRow row, DataViewSchema.Column column, int capacity) =>
            new ColumnCache<VBuffer<T>>(row.GetGetter<VBuffer<T>>(column), capacity,
                (ref VBuffer<T> source, ref VBuffer<T> destination) => source.CopyTo(ref destination));

        private static ColumnCache CreateScalar<T>(DataViewRow row, DataViewSchema.Column column, int capacity)
        {
            if (typeof(T) == typeof(ReadOnlyMemory<char>))
                return new ColumnCache<ReadOnlyMemory<char>>(row.GetGetter<ReadOnlyMemory<char>>(column), capacity,
                    (ref ReadOnlyMemory<char> source, ref ReadOnlyMemory<char> destination) => destination = source.ToString().AsMemory());
            return new ColumnCache<T>(row.GetGetter<T>(column), capacity,
                (ref T source, ref T destination) => destination = source);
        }
    }

    private delegate void Copier<T>(ref T source, ref T destination);

    private sealed class ColumnCache<T>(ValueGetter<T> getter, int capacity, Copier<T> copy) : ColumnCache
    {
        private readonly T[] _values = new T[capacity];
        private T _scratch = default!;

        public override void Load(int slot)
        {
            getter(ref _scratch);
            copy(ref _scratch, ref _values[slot]);
        }

        public override Delegate CreateGetter(Func<int> slot)
        {
            T[] values = _values;
            return (ValueGetter<T>)((ref T value) => copy(ref values[slot()], ref value));
        }
    }
}
