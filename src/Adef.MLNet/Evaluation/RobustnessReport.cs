using Adef.MLNet.Attacks;
using Adef.MLNet.Transforms;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace Adef.MLNet.Evaluation;

/// <summary>
/// How robust a classifier is on a set of attacked images: accuracy (when true labels are known), the
/// attack's success rate and mean iterations (from <see cref="AttackSummary"/>), quantiles of the norm of
/// successful attacks (‖τ‖_T for ADef, pixel ℓ2 for DeepFool) and the success rate within a norm budget ε.
/// </summary>
/// <remarks>
/// Follows <see cref="AttackSummary"/>'s protocol: rates count the attacked images (those the classifier
/// labelled correctly); norms and iterations are taken over successful attacks. Quantiles interpolate
/// linearly between the sorted norms (position q·(n − 1)).
/// </remarks>
public sealed class RobustnessReport
{
    /// <summary>The quantile levels of <see cref="NormQuantiles"/>: 10, 25, 50, 75 and 90 %.</summary>
    public static IReadOnlyList<double> QuantileLevels { get; } = [0.10, 0.25, 0.50, 0.75, 0.90];

    private readonly IReadOnlyList<AttackResult> _results;
    private readonly double[] _successfulNorms;

    private RobustnessReport(IReadOnlyList<AttackResult> results, double accuracy, int labelledImages, bool outcomesRecorded = true)
    {
        _results = results;
        OutcomesRecorded = outcomesRecorded;
        OutcomeCounts = Enum.GetValues<AttackOutcome>().ToDictionary(o => o, o => results.Count(r => r.Outcome == o));
        Summary = AttackSummary.From(results);
        Accuracy = accuracy;
        LabelledImages = labelledImages;
        IsDeformation = results.Count > 0 && results.All(r => r is AdefResult);
        _successfulNorms = results.Where(r => r.Outcome != AttackOutcome.AlreadyMisclassified && r.Success)
            .Select(Norm).Order().ToArray();
        NormQuantiles = QuantileLevels.Select(q => (q, Quantile(_successfulNorms, q))).ToArray();
    }

    /// <summary>The aggregate numbers this report builds on.</summary>
    public AttackSummary Summary { get; }

    /// <summary>Fraction of images the classifier labelled correctly; NaN when no true labels were given.</summary>
    public double Accuracy { get; }

    /// <summary>Images whose true label was known (0 when none were given).</summary>
    public int LabelledImages { get; }

    /// <summary>True when every result is an ADef result: norms are then ‖τ‖_T in pixels, otherwise pixel ℓ2.</summary>
    public bool IsDeformation { get; }

    /// <summary>The norm the quantiles and budgets refer to: "‖τ‖_T" (ADef) or "pixel ℓ2".</summary>
    public string NormName => IsDeformation ? "‖τ‖_T" : "pixel ℓ2";

    /// <summary>
    /// How many images ended with each <see cref="AttackOutcome"/>: every outcome is a key (0 when none ended so), and the
    /// counts add up to <see cref="AttackSummary.Images"/>, <see cref="AttackOutcome.AlreadyMisclassified"/> (not attacked) included.
    /// </summary>
    /// <remarks>Exact when <see cref="OutcomesRecorded"/>; otherwise only Fooled, AlreadyMisclassified and
    /// MaxIterationsReached occur (see <see cref="FromDataView"/>).</remarks>
    public IReadOnlyDictionary<AttackOutcome, int> OutcomeCounts { get; }

    /// <summary>False when the outcomes were derived rather than recorded: a data view without an <c>Outcome</c> column,
    /// where every failed attack counts as <see cref="AttackOutcome.MaxIterationsReached"/>.</summary>
    public bool OutcomesRecorded { get; }

    /// <summary><see cref="AttackSummary.SuccessRate"/>.</summary>
    public double SuccessRate => Summary.SuccessRate;

    /// <summary><see cref="AttackSummary.MeanIterations"/> (successful attacks).</summary>
    public double MeanIterations => Summary.MeanIterations;

    /// <summary>Norms of the successful attacks, ascending.</summary>
    public IReadOnlyList<double> SuccessfulNorms => _successfulNorms;

    /// <summary>(level, norm) for each of <see cref="QuantileLevels"/>; NaN norms when no attack succeeded.</summary>
    public IReadOnlyList<(double Level, double Norm)> NormQuantiles { get; }

    /// <summary>Fraction of attacked images fooled with a norm ≤ <paramref name="epsilon"/> (see <see cref="NormName"/>).</summary>
    /// <param name="epsilon">The budget: pixels of ‖τ‖_T for ADef, input units of ℓ2 otherwise.</param>
    public double SuccessRateWithin(double epsilon)
    {
        if (IsDeformation) return AttackSummary.SuccessRateWithinTNorm(_results.Cast<AdefResult>().ToArray(), epsilon);
        int attacked = Summary.Attacked;
        return attacked == 0 ? double.NaN : (double)_successfulNorms.Count(n => n <= epsilon) / attacked;
    }

    /// <summary><see cref="SuccessRateWithin"/> at each of <paramref name="epsilons"/>.</summary>
    /// <param name="epsilons">The budgets, in the order they should appear.</param>
    public IReadOnlyList<(double Epsilon, double Rate)> SuccessCurve(IEnumerable<double> epsilons)
    {
        ArgumentNullException.ThrowIfNull(epsilons);
        return epsilons.Select(e => (e, SuccessRateWithin(e))).ToArray();
    }

    /// <summary><see cref="SuccessRateWithin"/> at <paramref name="points"/> evenly spaced budgets from 0 to the largest successful norm.</summary>
    /// <param name="points">Number of points, at least 2.</param>
    /// <remarks>The curve is non-decreasing and its last budget is exactly the largest successful norm, so its last rate is
    /// <see cref="SuccessRate"/>.</remarks>
    public IReadOnlyList<(double Epsilon, double Rate)> SuccessCurve(int points = 11)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(points, 2);
        double max = _successfulNorms.Length == 0 ? 0 : _successfulNorms[^1];
        // max · i / (points − 1) can round below max at the last point (0.692 · 100 / 100 < 0.692), dropping the largest norm.
        return SuccessCurve(Enumerable.Range(0, points).Select(i => i == points - 1 ? max : max * i / (points - 1)));
    }

    /// <summary>Builds the report from attack results.</summary>
    /// <param name="results">Results of one attack (ADef or DeepFool), one per image.</param>
    /// <param name="trueLabels">True labels in the order of <paramref name="results"/>' indices, or null. When given,
    /// <see cref="Accuracy"/> compares them with each result's <see cref="AttackResult.OriginalLabel"/>.</param>
    public static RobustnessReport From(IReadOnlyList<AttackResult> results, IReadOnlyList<int>? trueLabels = null)
    {
        ArgumentNullException.ThrowIfNull(results);
        if (trueLabels is null) return new RobustnessReport(results, double.NaN, 0);
        if (trueLabels.Count != results.Count)
            throw new ArgumentException($"{trueLabels.Count} true labels for {results.Count} results.", nameof(trueLabels));
        int correct = results.Select((r, i) => r.OriginalLabel == trueLabels[i] ? 1 : 0).Sum();
        return new RobustnessReport(results, results.Count == 0 ? double.NaN : (double)correct / results.Count, results.Count);
    }

    /// <summary>
    /// Builds the report from the output of an ADef, DeepFool or PGD transform: reads the columns
    /// <c>OriginalLabel</c>, <c>Success</c>, <c>Outcome</c> (when present), <c>Iterations</c>, <c>TNorm</c> (ADef) and
    /// <c>PixelL2</c> (names as in <paramref name="options"/>), and the true labels from <paramref name="labelColumnName"/> if given.
    /// </summary>
    /// <param name="attacked">The transformed data (all rows are read once).</param>
    /// <param name="labelColumnName">Scalar column of true labels (Int32, UInt32, Int64, Single, Double class indices from 0,
    /// or a key type whose value 1 is class 0), or null. Rows whose label differs from <c>OriginalLabel</c> count as
    /// already misclassified (not attacked), as the transform itself does when given a label column.</param>
    /// <param name="options">The transform's options, for its column names; null for the default names. An
    /// <see cref="AdefTransformOptions"/> (or a <c>TNorm</c> column under the default names) makes it an ADef report.</param>
    /// <remarks><see cref="OutcomeCounts"/> come from the <c>Outcome</c> column (named by <paramref name="options"/>), which holds
    /// <see cref="AttackOutcome"/> names and is taken over <c>Success</c>. A view without one does not say why an attack failed:
    /// its failures other than already-misclassified rows are counted as <see cref="AttackOutcome.MaxIterationsReached"/> and
    /// <see cref="OutcomesRecorded"/> is false. Either way a row whose true label differs from <c>OriginalLabel</c> counts as
    /// <see cref="AttackOutcome.AlreadyMisclassified"/>.</remarks>
    /// <exception cref="ArgumentException">A column is missing or has the wrong type, or an <c>Outcome</c> value names no
    /// <see cref="AttackOutcome"/>.</exception>
    public static RobustnessReport FromDataView(IDataView attacked, string? labelColumnName = null, AttackTransformOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(attacked);
        options ??= attacked.Schema.GetColumnOrNull(new AdefTransformOptions().TNormColumnName) is null
            ? new DeepFoolTransformOptions() : new AdefTransformOptions();
        DataViewSchema schema = attacked.Schema;
        DataViewSchema.Column Column(string name, DataViewType type)
        {
            DataViewSchema.Column column = schema.GetColumnOrNull(name)
                ?? throw new ArgumentException($"The data has no column '{name}'; columns: {string.Join(", ", schema.Select(c => c.Name))}.", nameof(attacked));
            bool keyLabel = type == NumberDataViewType.Int32 && name == options.OriginalLabelColumnName && column.Type is KeyDataViewType;
            if (column.Type != type && !keyLabel)
                throw new ArgumentException($"Column '{name}' has type {column.Type}; it must be {type}{(name == options.OriginalLabelColumnName ? " or a key" : "")}.", nameof(attacked));
            return column;
        }
        DataViewSchema.Column original = Column(options.OriginalLabelColumnName, NumberDataViewType.Int32);
        DataViewSchema.Column success = Column(options.SuccessColumnName, BooleanDataViewType.Instance);
        DataViewSchema.Column iterations = Column(options.IterationsColumnName, NumberDataViewType.Int32);
        DataViewSchema.Column pixelL2 = Column(options.PixelL2ColumnName, NumberDataViewType.Double);
        DataViewSchema.Column? tNorm = options is AdefTransformOptions adef ? Column(adef.TNormColumnName, NumberDataViewType.Double) : null;
        DataViewSchema.Column? outcome = schema.GetColumnOrNull(options.OutcomeColumnName) is null
            ? null : Column(options.OutcomeColumnName, TextDataViewType.Instance);
        DataViewSchema.Column? label = null;
        if (labelColumnName is not null)
        {
            label = schema.GetColumnOrNull(labelColumnName)
                ?? throw new ArgumentException($"The data has no label column '{labelColumnName}'.", nameof(labelColumnName));
            if (!LabelColumnReader.IsSupported(label.Value.Type))
                throw new ArgumentException($"Label column '{labelColumnName}' has type {label.Value.Type}; it must be a scalar Int32, UInt32, Int64, Single, Double or key.", nameof(labelColumnName));
        }

        var columns = new List<DataViewSchema.Column> { original, success, iterations, pixelL2 };
        if (tNorm is { } t) columns.Add(t);
        if (outcome is { } o) columns.Add(o);
        if (label is { } l) columns.Add(l);
        var records = new List<AttackRecord>();
        using DataViewRowCursor cursor = attacked.GetRowCursor(columns);
        Func<int> getOriginal = LabelColumnReader.Create(cursor, original, int.MaxValue);
        ValueGetter<bool> getSuccess = cursor.GetGetter<bool>(success);
        ValueGetter<int> getIterations = cursor.GetGetter<int>(iterations);
        ValueGetter<double> getPixelL2 = cursor.GetGetter<double>(pixelL2);
        ValueGetter<double>? getTNorm = tNorm is { } tc ? cursor.GetGetter<double>(tc) : null;
        ValueGetter<ReadOnlyMemory<char>>? getOutcome = outcome is { } oc ? cursor.GetGetter<ReadOnlyMemory<char>>(oc) : null;
        ReadOnlyMemory<char> outcomeText = default;
        Func<int>? getLabel = label is { } lc ? LabelColumnReader.Create(cursor, lc, int.MaxValue, LabelKeyClasses.Map(lc, int.MaxValue, options.ClassNames)) : null;
        while (cursor.MoveNext())
        {
            int originalLabel = getOriginal(), iterationCount = 0;
            bool fooled = false;
            double l2 = 0, tn = double.NaN;
            getSuccess(ref fooled);
            getIterations(ref iterationCount);
            getPixelL2(ref l2);
            getTNorm?.Invoke(ref tn);
            int? trueLabel = getLabel?.Invoke();
            getOutcome?.Invoke(ref outcomeText);
            AttackOutcome ended = trueLabel is int y && y != originalLabel ? AttackOutcome.AlreadyMisclassified
                : getOutcome is not null ? ParseOutcome(outcomeText, options.OutcomeColumnName, cursor.Position)
                : fooled ? AttackOutcome.Fooled : AttackOutcome.MaxIterationsReached;
            records.Add(new AttackRecord(originalLabel, ended, iterationCount, l2, double.NaN, tn, trueLabel));
        }
        return Build(records, deformations: getTNorm is not null, outcomesRecorded: getOutcome is not null);
    }

    /// <summary>An outcome column's value: the name of an <see cref="AttackOutcome"/>, as the transforms write it.</summary>
    private static AttackOutcome ParseOutcome(ReadOnlyMemory<char> text, string column, long row) =>
        Enum.TryParse(text.Span, out AttackOutcome outcome) && Enum.IsDefined(outcome) && !char.IsAsciiDigit(text.Span[0])
            ? outcome
            : throw new ArgumentException(
                $"Column '{column}' holds '{text}' at row {row}, which names no outcome; expected one of {string.Join(", ", Enum.GetNames<AttackOutcome>())}.", "attacked");

    /// <summary>
    /// Builds the report from per-image numbers recorded earlier, such as the rows of a results file: what
    /// <see cref="From"/> would give for the attack results they were taken from.
    /// </summary>
    /// <param name="records">One record per image, of one attack.</param>
    /// <param name="deformations">True for ADef records (norms are then <see cref="AttackRecord.TNorm"/>), false for an
    /// additive attack's (pixel ℓ2).</param>
    /// <remarks><see cref="Accuracy"/> counts the records whose <see cref="AttackRecord.TrueLabel"/> is known, and is NaN when
    /// none is; <see cref="AttackRecord.Outcome"/> is taken as recorded, not recomputed from the true labels.</remarks>
    /// <exception cref="ArgumentException">An ADef record of an attacked image has a NaN <see cref="AttackRecord.TNorm"/>.</exception>
    public static RobustnessReport FromRecords(IReadOnlyList<AttackRecord> records, bool deformations) =>
        Build(records, deformations, outcomesRecorded: true);

    private static RobustnessReport Build(IReadOnlyList<AttackRecord> records, bool deformations, bool outcomesRecorded)
    {
        ArgumentNullException.ThrowIfNull(records);
        var results = new AttackResult[records.Count];
        for (int i = 0; i < records.Count; i++)
        {
            AttackRecord r = records[i];
            if (deformations && r.Outcome != AttackOutcome.AlreadyMisclassified && double.IsNaN(r.TNorm))
                throw new ArgumentException($"Record {i} is of an ADef attack but has no ‖τ‖_T (TNorm is NaN).", nameof(records));
            // Stand-ins without images: the report reads only labels, outcomes, iterations and norms.
            results[i] = deformations
                ? new AdefResult
                {
                    Index = i, OriginalLabel = r.OriginalLabel, AdversarialLabel = r.OriginalLabel, Outcome = r.Outcome,
                    Iterations = r.Iterations, AdversarialImage = [], PixelL2 = r.PixelL2, PixelLInf = r.PixelLInf,
                    VectorField = [], TNorm = r.TNorm, FieldL2 = double.NaN, Overshot = false,
                }
                : new PerturbationResult
                {
                    Index = i, OriginalLabel = r.OriginalLabel, AdversarialLabel = r.OriginalLabel, Outcome = r.Outcome,
                    Iterations = r.Iterations, AdversarialImage = [], PixelL2 = r.PixelL2, PixelLInf = r.PixelLInf, Perturbation = [],
                };
        }
        int labelled = records.Count(r => r.TrueLabel is not null);
        int correct = records.Count(r => r.TrueLabel == r.OriginalLabel);
        return new RobustnessReport(results, labelled == 0 ? double.NaN : (double)correct / labelled, labelled, outcomesRecorded);
    }

    /// <summary>A few lines for a console: accuracy, success rate, mean iterations, norm quantiles and a few budgets.</summary>
    public override string ToString()
    {
        var text = new System.Text.StringBuilder();
        if (LabelledImages > 0) text.AppendLine($"Accuracy: {Accuracy:P2} of {LabelledImages} labelled images");
        text.AppendLine($"Attacked: {Summary.Attacked} of {Summary.Images}, fooled: {Summary.Fooled} → success rate {SuccessRate:P2}");
        text.AppendLine($"Mean iterations (successful): {MeanIterations:0.000}");
        text.AppendLine($"{NormName} quantiles: " + string.Join(", ", NormQuantiles.Select(q => $"{q.Level:P0} {q.Norm:0.000}")));
        text.Append($"Success within {NormName} ≤ ε: " + string.Join(", ", SuccessCurve(9).Select(p => $"{p.Epsilon:0.00} → {p.Rate:P1}")));
        return text.ToString();
    }

    private double Norm(AttackResult result) => result is AdefResult adef && IsDeformation ? adef.TNorm : result.PixelL2;

    /// <summary>Linear-interpolation quantile (position q·(n − 1)) of ascending <paramref name="sorted"/>; NaN when empty.</summary>
    internal static double Quantile(IReadOnlyList<double> sorted, double q)
    {
        if (sorted.Count == 0) return double.NaN;
        double position = q * (sorted.Count - 1);
        int lower = (int)Math.Floor(position);
        int upper = Math.Min(lower + 1, sorted.Count - 1);
        return sorted[lower] + (position - lower) * (sorted[upper] - sorted[lower]);
    }
}
