using Adef.MLNet.Attacks;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace Adef.MLNet.Transforms;

/// <summary>
/// Row-to-row mapping for <c>PredictionEngine</c>: attacks one row at a time (batches of one), when an
/// added column is first read for the current row. Use <c>Transform</c> on an <see cref="IDataView"/>
/// for batched throughput.
/// </summary>
internal sealed class AttackRowMapper(AttackMapping mapping, DataViewSchema inputSchema) : IRowToRowMapper
{
    private readonly AttackMapping _mapping = mapping;

    public DataViewSchema InputSchema { get; } = inputSchema;

    public DataViewSchema OutputSchema { get; } = mapping.GetOutputSchema(inputSchema);

    public IEnumerable<DataViewSchema.Column> GetDependencies(IEnumerable<DataViewSchema.Column> dependingColumns)
    {
        var needed = new HashSet<int>();
        foreach (DataViewSchema.Column column in dependingColumns)
        {
            if (column.Index < InputSchema.Count) needed.Add(column.Index);
            else
            {
                needed.Add(InputSchema[_mapping.InputColumnName].Index);
                foreach (string name in _mapping.LabelColumnNames) needed.Add(InputSchema[name].Index);
            }
        }
        return needed.Order().Select(i => InputSchema[i]);
    }

    public DataViewRow GetRow(DataViewRow input, IEnumerable<DataViewSchema.Column> activeColumns)
    {
        ArgumentNullException.ThrowIfNull(input);
        var active = new bool[OutputSchema.Count];
        foreach (DataViewSchema.Column column in activeColumns) active[column.Index] = true;
        return new Row(this, input, active);
    }

    private sealed class Row(AttackRowMapper mapper, DataViewRow input, bool[] active) : DataViewRow
    {
        private Action<Span<float>>? _readPixels;
        private (Func<int>? Label, Func<int>? Target)? _labelReaders;
        private AttackResult? _result;
        private long _resultPosition = -1;

        public override DataViewSchema Schema => mapper.OutputSchema;

        public override long Position => input.Position;

        public override long Batch => input.Batch;

        public override ValueGetter<DataViewRowId> GetIdGetter() => input.GetIdGetter();

        public override bool IsColumnActive(DataViewSchema.Column column) => active[column.Index];

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
        {
            if (!active[column.Index])
                throw new InvalidOperationException($"Column '{column.Name}' was not requested when the row was created.");
            int inputCount = mapper.InputSchema.Count;
            if (column.Index < inputCount) return input.GetGetter<TValue>(input.Schema[column.Index]);
            Delegate getter = AttackOutputGetters.For(mapper._mapping.Outputs[column.Index - inputCount], Current);
            return getter as ValueGetter<TValue> ?? throw new InvalidOperationException(
                $"Column '{column.Name}' has type {column.Type} (raw type {column.Type.RawType.Name}), not {typeof(TValue).Name}.");
        }

        private AttackResult Current()
        {
            if (_result is not null && _resultPosition == input.Position) return _result;
            AttackMapping mapping = mapper._mapping;
            _readPixels ??= PixelColumnReader.Create(input, input.Schema[mapping.InputColumnName], mapping);
            var (label, target) = _labelReaders ??= mapping.LabelReaders(input);
            var image = new float[mapping.Shape.Size];
            _readPixels(image);
            _result = mapping.Run(image, label is null ? null : [label()], target is null ? null : [target()])[0];
            _resultPosition = input.Position;
            return _result;
        }
    }
}
