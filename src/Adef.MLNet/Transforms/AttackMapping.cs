using Adef.MLNet.Attacks;
using Adef.MLNet.Classifiers;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms.Image;

namespace Adef.MLNet.Transforms;

/// <summary>
/// Everything the attack transforms share: schema validation, the output columns, and
/// running the attack on a batch of rows. The public estimator and transformer types compose it.
/// </summary>
internal sealed class AttackMapping
{
    private readonly Func<ReadOnlyMemory<float>, IReadOnlyList<int>?, IReadOnlyList<int>?, AttackResult[]> _run;

    public AttackMapping(IDifferentiableClassifier classifier, AttackTransformOptions options, IReadOnlyList<AttackOutputColumn> outputs,
        Func<ReadOnlyMemory<float>, IReadOnlyList<int>?, IReadOnlyList<int>?, AttackResult[]> run)
    {
        AttackName = options.AttackName;
        Classifier = classifier;
        InputColumnName = options.InputColumnName;
        LabelColumnName = options.LabelColumnName;
        TargetLabelColumnName = options.TargetLabelColumnName;
        ClassNames = options.ClassNames?.ToArray();
        BatchSize = options.AttackSettings.BatchSize;
        ImagePreprocessing = options.ImagePreprocessingFor(classifier);
        Outputs = outputs;
        _run = run;
    }

    public string AttackName { get; }
    public IDifferentiableClassifier Classifier { get; }
    public string InputColumnName { get; }
    public string? LabelColumnName { get; }
    public string? TargetLabelColumnName { get; }

    /// <summary>The label columns read with the pixels: the true labels and the targets, where named.</summary>
    public IEnumerable<string> LabelColumnNames => new[] { LabelColumnName, TargetLabelColumnName }.OfType<string>();
    public IReadOnlyList<string>? ClassNames { get; }
    /// <summary>Rows read ahead and attacked in one call: the attack's own batch size, so that one number sets both.</summary>
    public int BatchSize { get; }
    /// <summary>How an image column becomes the classifier's input (null when the classifier takes no image column).</summary>
    public Data.ImagePreprocessing? ImagePreprocessing { get; }
    public IReadOnlyList<AttackOutputColumn> Outputs { get; }
    public ImageShape Shape => Classifier.InputShape;

    /// <summary>The input column type the classifier needs: a known-size vector of C·H·W floats.</summary>
    public VectorDataViewType ExpectedInputType => new(NumberDataViewType.Single, Shape.Size);

    /// <summary>The columns every attack adds; the norms in 8-bit levels only for a classifier that states its preprocessing.</summary>
    public static IReadOnlyList<AttackOutputColumn> CommonOutputs(AttackTransformOptions options, IDifferentiableClassifier classifier)
    {
        ImageShape shape = classifier.InputShape;
        IReadOnlyList<string>? names = options.ClassNames?.ToArray();
        DataViewType labelType = names is null ? NumberDataViewType.Int32 : new KeyDataViewType(typeof(uint), names.Count);
        AttackOutputColumn[] levels = classifier.InputPreprocessing is null ? [] :
        [
        new(options.LevelL2ColumnName, NumberDataViewType.Double, AttackOutput.LevelL2),
        new(options.LevelLInfColumnName, NumberDataViewType.Double, AttackOutput.LevelLInf),
        ];
        return
        [
        new(options.AdversarialPixelsColumn, new VectorDataViewType(NumberDataViewType.Single, shape.Size), AttackOutput.AdversarialPixels),
        new(options.OriginalLabelColumnName, labelType, AttackOutput.OriginalLabel, names),
        new(options.AdversarialLabelColumnName, labelType, AttackOutput.AdversarialLabel, names),
        new(options.SuccessColumnName, BooleanDataViewType.Instance, AttackOutput.Success),
        new(options.OutcomeColumnName, TextDataViewType.Instance, AttackOutput.Outcome),
        new(options.IterationsColumnName, NumberDataViewType.Int32, AttackOutput.Iterations),
        new(options.PixelL2ColumnName, NumberDataViewType.Double, AttackOutput.PixelL2),
        new(options.PixelLInfColumnName, NumberDataViewType.Double, AttackOutput.PixelLInf),
        .. levels,
        .. options.AttackSettings.ValidImages
            ? [new AttackOutputColumn(options.FoolsAfterRoundingColumnName, BooleanDataViewType.Instance, AttackOutput.FoolsAfterRounding)]
            : Array.Empty<AttackOutputColumn>(),
        ];
    }

    public AttackResult[] Run(ReadOnlyMemory<float> images, IReadOnlyList<int>? trueLabels, IReadOnlyList<int>? targets) =>
        _run(images, trueLabels, targets);

    private string ExpectedDescription =>
        $"{ExpectedInputType} (the classifier's {Shape} input, C×H×W channel-planar) or an image column of {Shape.Height}×{Shape.Width} pixels";

    /// <summary>An image column must have the classifier's height and width (when its type says them) and 1 or 3 channels to fill.</summary>
    private void ValidateImage(ImageDataViewType image)
    {
        if (Shape.Channels is not (1 or 3))
            throw Mismatch(InputColumnName, $"{ExpectedInputType}: an image column fills 1 (grey) or 3 (RGB) channels, the classifier takes {Shape.Channels}", "Image");
        bool sized = image.Height > 0 && image.Width > 0;
        if (sized && (image.Height != Shape.Height || image.Width != Shape.Width))
            throw Mismatch(InputColumnName, ExpectedDescription,
                $"Image<{image.Height}×{image.Width}> (resize it to {Shape.Height}×{Shape.Width}, e.g. with ResizeImages)");
    }

    /// <summary>Checks the input and label columns of a concrete schema, including the vector size.</summary>
    public void Validate(DataViewSchema inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        DataViewSchema.Column column = inputSchema.GetColumnOrNull(InputColumnName)
            ?? throw MissingColumn(InputColumnName, ExpectedDescription, inputSchema.Where(c => !c.IsHidden).Select(c => c.Name));
        if (column.Type is ImageDataViewType image)
            ValidateImage(image);
        else if (column.Type is not VectorDataViewType vector || vector.ItemType != NumberDataViewType.Single)
            throw Mismatch(InputColumnName, ExpectedDescription, $"{column.Type}");
        else if (!vector.IsKnownSize)
            throw Mismatch(InputColumnName, ExpectedDescription, $"{column.Type} of variable size");
        else if (vector.Size != Shape.Size)
            throw Mismatch(InputColumnName, ExpectedDescription, $"{column.Type} ({vector.Size} values)");
        foreach (string name in LabelColumnNames)
        {
            DataViewSchema.Column label = inputSchema.GetColumnOrNull(name)
                ?? throw MissingColumn(name, LabelDescription, inputSchema.Where(c => !c.IsHidden).Select(c => c.Name));
            if (!LabelColumnReader.IsSupported(label.Type))
                throw Mismatch(name, LabelDescription, $"{label.Type}");
            LabelKeyClasses.Map(label, Classifier.ClassCount, ClassNames); // a key value that names no class fails here, before any row is read
        }
    }

    /// <summary>
    /// Checks the input and label columns of a schema shape. A <see cref="SchemaShape"/> carries no
    /// vector size, so the size is checked when the schema is known (Fit, Transform).
    /// </summary>
    public void Validate(SchemaShape inputSchema)
    {
        if (!TryFindColumn(inputSchema, InputColumnName, out SchemaShape.Column column))
            throw MissingColumn(InputColumnName, ExpectedDescription, inputSchema.Select(c => c.Name));
        bool image = column.Kind == SchemaShape.Column.VectorKind.Scalar && column.ItemType is ImageDataViewType;
        if (image) ValidateImage((ImageDataViewType)column.ItemType);
        else if (column.Kind != SchemaShape.Column.VectorKind.Vector || column.IsKey || column.ItemType != NumberDataViewType.Single)
        {
            string actual = column.Kind switch
            {
                SchemaShape.Column.VectorKind.Scalar => $"{column.ItemType}",
                SchemaShape.Column.VectorKind.VariableVector => $"Vector<{column.ItemType}> of variable size",
                _ => $"Vector<{column.ItemType}>",
            };
            throw Mismatch(InputColumnName, ExpectedDescription, column.IsKey ? $"{actual} (key)" : actual);
        }
        foreach (string name in LabelColumnNames)
        {
            if (!TryFindColumn(inputSchema, name, out SchemaShape.Column label))
                throw MissingColumn(name, LabelDescription, inputSchema.Select(c => c.Name));
            bool supported = label.Kind == SchemaShape.Column.VectorKind.Scalar
                && (label.IsKey || LabelColumnReader.IsSupported(label.ItemType));
            if (!supported)
                throw Mismatch(name, LabelDescription, label.Kind == SchemaShape.Column.VectorKind.Scalar
                    ? $"{label.ItemType}" : $"Vector<{label.ItemType}>");
        }
    }

    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema)
    {
        Validate(inputSchema);
        var builder = new DataViewSchema.Builder();
        builder.AddColumns(inputSchema);
        foreach (AttackOutputColumn output in Outputs) builder.AddColumn(output.Name, output.Type, output.KeyValuesAnnotation());
        return builder.ToSchema();
    }

    /// <summary>
    /// The input shape with the added columns. Workaround: ML.NET (5.0.1, still in 6.0.0; docs/mlnet.md) makes the
    /// constructor of <see cref="SchemaShape.Column"/> (and <c>SchemaShape.Create</c>) internal, so a third-party
    /// estimator cannot describe new columns directly, and reflection into ML.NET internals would
    /// break on its next release. The public route used here: a <c>CustomMapping</c> estimator whose
    /// output <see cref="SchemaDefinition"/> lists our columns (names and types set at run time) and
    /// whose input type has no columns; its <c>GetOutputSchema</c> builds the columns for us. The
    /// mapping itself is never fitted or run. This is the only place that does it.
    /// </summary>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        Validate(inputSchema);
        SchemaDefinition outputDefinition = SchemaDefinition.Create(typeof(ShapeRow), SchemaDefinition.Direction.Write);
        var unused = new List<SchemaDefinition.Column>(outputDefinition);
        foreach (AttackOutputColumn output in Outputs)
        {
            string prefix = output.Type switch
            {
                VectorDataViewType => nameof(ShapeRow.Vector0)[..^1],
                BooleanDataViewType => nameof(ShapeRow.Boolean0)[..^1],
                TextDataViewType => nameof(ShapeRow.Text0)[..^1],
                KeyDataViewType => nameof(ShapeRow.Key0)[..^1],
                _ when output.Type == NumberDataViewType.Int32 => nameof(ShapeRow.Int0)[..^1],
                _ => nameof(ShapeRow.Double0)[..^1],
            };
            SchemaDefinition.Column column = unused.First(c => c.MemberName.StartsWith(prefix, StringComparison.Ordinal));
            unused.Remove(column);
            column.ColumnName = output.Name;
            column.ColumnType = output.Type;
            if (output.KeyNames is { } names)
                column.AddAnnotation(AttackOutputColumn.KeyValuesKind, new VBuffer<ReadOnlyMemory<char>>(names.Count, names.Select(n => n.AsMemory()).ToArray()),
                    new VectorDataViewType(TextDataViewType.Instance, names.Count));
        }
        outputDefinition.RemoveAll(unused.Contains);
        var estimator = new MLContext().Transforms.CustomMapping<NoColumns, ShapeRow>(
            (_, _) => throw new NotSupportedException("Only used to describe a schema shape."), contractName: null,
            inputSchemaDefinition: SchemaDefinition.Create(typeof(NoColumns)), outputSchemaDefinition: outputDefinition);
        return estimator.GetOutputSchema(inputSchema);
    }

    /// <summary>No input columns (see <see cref="GetOutputSchema(SchemaShape)"/>).</summary>
    private sealed class NoColumns;

    /// <summary>One member per output raw type (see <see cref="GetOutputSchema(SchemaShape)"/>).</summary>
    private sealed class ShapeRow
    {
        public float[] Vector0 { get; set; } = [];
        public float[] Vector1 { get; set; } = [];
        public uint Key0 { get; set; }
        public uint Key1 { get; set; }
        public int Int0 { get; set; }
        public int Int1 { get; set; }
        public int Int2 { get; set; }
        public bool Boolean0 { get; set; }
        public bool Boolean1 { get; set; }
        public bool Boolean2 { get; set; }
        public string Text0 { get; set; } = "";
        public double Double0 { get; set; }
        public double Double1 { get; set; }
        public double Double2 { get; set; }
        public double Double3 { get; set; }
        public double Double4 { get; set; }
        public double Double5 { get; set; }
    }

    private static bool TryFindColumn(SchemaShape shape, string name, out SchemaShape.Column column)
    {
        foreach (SchemaShape.Column candidate in shape)
            if (candidate.Name == name)
            {
                column = candidate;
                return true;
            }
        column = default;
        return false;
    }

    private string LabelDescription =>
        $"a scalar label column (Int32, UInt32, Int64, Single, Double holding class indices in [0, {Classifier.ClassCount}), or a key type)";

    private ArgumentOutOfRangeException MissingColumn(string name, string expected, IEnumerable<string> available) =>
        new("inputSchema",
            $"{AttackName}: column '{name}' was not found in the input schema; it must be {expected}. " +
            $"Available columns: {string.Join(", ", available.Distinct().Select(n => $"'{n}'"))}.");

    private ArgumentOutOfRangeException Mismatch(string name, string expected, string actual) =>
        new("inputSchema", $"{AttackName}: column '{name}' has type {actual}; it must be {expected}.");

    /// <summary>Reads a true-label or target column as class indices, a key column by its key values (see <see cref="LabelKeyClasses"/>).</summary>
    public Func<int> LabelReader(DataViewRow row, DataViewSchema.Column column) =>
        LabelColumnReader.Create(row, column, Classifier.ClassCount, LabelKeyClasses.Map(column, Classifier.ClassCount, ClassNames));

    /// <summary>
    /// The readers of the row's true label and target (null where the column is not named); the target reader refuses a
    /// target equal to the row's true label, naming the row (the attack would refuse it too, but by its place in the batch).
    /// </summary>
    public (Func<int>? Label, Func<int>? Target) LabelReaders(DataViewRow row)
    {
        Func<int>? label = LabelColumnName is null ? null : LabelReader(row, row.Schema[LabelColumnName]);
        if (TargetLabelColumnName is null) return (label, null);
        Func<int> read = LabelReader(row, row.Schema[TargetLabelColumnName]);
        return (label, () =>
        {
            int target = read();
            if (label is not null && label() == target)
                throw new InvalidOperationException($"Target column '{TargetLabelColumnName}' holds {target} at row {row.Position}, which is the " +
                                                    $"row's true label in '{LabelColumnName}'; a target must be another class.");
            return target;
        });
    }
}
