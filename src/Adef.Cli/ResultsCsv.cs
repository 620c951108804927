using System.Globalization;
using Adef.Cluster;
using Adef.MLNet.Attacks;
using Adef.MLNet.Evaluation;
using CsvHelper;

namespace Adef.Cli;

/// <summary>
/// The attack command's results.csv: one row per image, appended as batches finish, and read back for <c>--resume</c>,
/// the summary and the report command. A run stopped mid-write leaves a torn last line without its line break, which
/// reading drops. Optional columns follow <see cref="Columns"/> in a fixed order (<see cref="Layout"/>): <c>target</c> in a
/// targeted run (<c>--targets</c>), <c>fools_after_rounding</c> with <c>--valid-images</c>, then the names of the three labels
/// with <c>--class-names</c> (<see cref="NameColumns"/>). A run with none of them writes exactly the columns earlier versions wrote.
/// </summary>
internal static class ResultsCsv
{
    public static readonly string[] Columns = [.. ResultRow.CsvHeader];

    /// <summary>The columns added after <see cref="Columns"/> when class names are given: the names of original_label,
    /// adversarial_label and true_label (empty without a true label).</summary>
    public static readonly string[] NameColumns = ["original_name", "adversarial_name", "true_name"];

    /// <summary>The column of a targeted run's target labels, after <see cref="Columns"/>.</summary>
    public const string TargetColumn = "target";

    /// <summary>The column of a <c>--valid-images</c> run: whether the returned (rounded) image fools, as the attack checked it
    /// (<see cref="AttackResult.FoolsAfterRounding"/>; empty for images not attacked).</summary>
    public const string FoolsAfterRoundingColumn = "fools_after_rounding";

    /// <summary>Which optional columns a results.csv has; its header is <see cref="Header"/>.</summary>
    /// <param name="Targeted">Whether it has <see cref="TargetColumn"/>.</param>
    /// <param name="Names">Whether it ends with <see cref="NameColumns"/>.</param>
    /// <param name="Valid">Whether it has <see cref="FoolsAfterRoundingColumn"/> (<c>--valid-images</c>).</param>
    internal readonly record struct Layout(bool Targeted, bool Names, bool Valid = false)
    {
        /// <summary>The header: <see cref="Columns"/>, then <see cref="TargetColumn"/>, <see cref="FoolsAfterRoundingColumn"/> and
        /// <see cref="NameColumns"/> as present.</summary>
        public string[] Header =>
        [
            .. Columns, .. Targeted ? [TargetColumn] : Array.Empty<string>(), .. Valid ? [FoolsAfterRoundingColumn] : Array.Empty<string>(),
            .. Names ? NameColumns : [],
        ];

        /// <summary>Where <see cref="FoolsAfterRoundingColumn"/> is, when present.</summary>
        public int FoolsAfterRoundingIndex => Columns.Length + (Targeted ? 1 : 0);
    }

    private static readonly CsvWriterOptions WriterOptions = new() { Separator = ',', NewLine = "\n" };

    private static readonly CsvReaderOptions ReaderOptions = new() { Separator = ',' };

    /// <summary>One row: its fields as written, and the numbers the summary needs (<see cref="Target"/> in a targeted run).</summary>
    internal sealed record Row(string File, int Original, string Outcome, int Iterations, double TNorm, double PixelL2, double PixelLInf,
        int? Truth, int PngLabel, string[] Fields, int? Target = null, bool? FoolsAfterRounding = null)
    {
        /// <summary>Whether the adversarial PNG, rounded to bytes, still fools the model as the attack did: it has the
        /// target's label in a targeted run, and any other label than the clean image's otherwise.</summary>
        public bool FooledAfterRounding => Outcome == nameof(AttackOutcome.Fooled) && (Target is { } t ? PngLabel == t : PngLabel != Original);

        /// <summary>Whether the image's file could not be decoded (<see cref="ResultRow.Unreadable"/>): it has no attack result.</summary>
        public bool Unreadable => Outcome == ResultRow.Unreadable;
    }

    /// <summary>Starts <paramref name="path"/> afresh with the header of <paramref name="layout"/> and <paramref name="rows"/>.</summary>
    public static void Create(string path, Layout layout, IEnumerable<Row>? rows = null)
    {
        using CsvWriter csv = Append(path, append: false);
        csv.WriteHeader(layout.Header);
        foreach (Row row in rows ?? []) WriteFields(csv, row.Fields);
    }

    /// <summary>A writer that appends rows to <paramref name="path"/>; <see cref="CsvWriter.Flush"/> after each batch.</summary>
    public static CsvWriter Append(string path, bool append = true) =>
        CsvWriter.Create(new StreamWriter(path, append), WriterOptions);

    /// <summary>Writes the row of one finished image; a result with a <see cref="AttackResult.Target"/> gets the target column.</summary>
    /// <param name="csv">The writer.</param>
    /// <param name="file">The image's name in the input.</param>
    /// <param name="result">The attack's result.</param>
    /// <param name="truth">The image's true label, if known.</param>
    /// <param name="pngLabel">The label of the adversarial image after rounding to PNG bytes.</param>
    /// <param name="names">The class names, written in <see cref="NameColumns"/>; null for none.</param>
    /// <param name="valid">Whether the run writes <see cref="FoolsAfterRoundingColumn"/> (<c>--valid-images</c>).</param>
    public static void Write(CsvWriter csv, string file, AttackResult result, int? truth, int pngLabel, ClassLabels? names = null, bool valid = false) =>
        Write(csv, ResultRow.Of(file, result, truth, pngLabel), names, valid);

    /// <summary>Writes one row: its fields (<see cref="ResultRow.CsvFields"/>), then the names of its labels when
    /// <paramref name="names"/> are given (empty for a label an unreadable image does not have).</summary>
    /// <param name="csv">The writer.</param>
    /// <param name="row">The image's row.</param>
    /// <param name="names">The class names, written in <see cref="NameColumns"/>; null for none.</param>
    /// <param name="valid">Whether the run writes <see cref="FoolsAfterRoundingColumn"/> (<c>--valid-images</c>).</param>
    public static void Write(CsvWriter csv, ResultRow row, ClassLabels? names = null, bool valid = false)
    {
        IReadOnlyList<string> fields = row.CsvFields(valid);
        string Name(int? label) => label is >= 0 ? names![label.Value] : "";
        WriteFields(csv, names is null ? [.. fields] : [.. fields, Name(row.OriginalLabel), Name(row.AdversarialLabel), Name(row.TrueLabel)]);
    }

    /// <summary>
    /// Reads the rows, skipping the header, a torn last line and any malformed row, in the layout the header names
    /// (a row of a targeted file without a valid target is malformed).
    /// </summary>
    public static List<Row> Read(string path)
    {
        string text = File.ReadAllText(path);
        Layout layout = LayoutOf(path) ?? default;
        int width = layout.Header.Length;
        var rows = new List<Row>();
        using CsvReader reader = CsvReader.Create(new StringReader(text[..(text.LastIndexOf('\n') + 1)]), ReaderOptions);
        while (reader.Read())
        {
            if (reader.FieldCount != width) continue;
            string[] f = Enumerable.Range(0, reader.FieldCount).Select(i => reader.GetString(i) ?? "").ToArray();
            if (!TryInteger(f[1], out int original) || !TryInteger(f[5], out int iterations) || !TryInteger(f[12], out int png))
                continue;
            int? target = null;
            if (layout.Targeted)
            {
                if (!TryInteger(f[Columns.Length], out int t)) continue;
                target = t;
            }
            bool? fools = layout.Valid && bool.TryParse(f[layout.FoolsAfterRoundingIndex], out bool b) ? b : null;
            rows.Add(new Row(f[0], original, f[4], iterations, NumberOrNaN(f[6]), NumberOrNaN(f[8]), NumberOrNaN(f[9]),
                TryInteger(f[10], out int truth) ? truth : null, png, f, target, fools));
        }
        return rows;
    }

    /// <summary>Whether <paramref name="path"/> starts with a header <see cref="Create"/> writes, of any layout.</summary>
    public static bool HasHeader(string path) => LayoutOf(path) is not null;

    /// <summary>The layout whose header <paramref name="path"/> starts with; null when it starts with no results.csv header.</summary>
    public static Layout? LayoutOf(string path)
    {
        using var reader = new StreamReader(path);
        string? header = reader.ReadLine();
        foreach (bool targeted in (bool[])[false, true])
        foreach (bool names in (bool[])[false, true])
        foreach (bool valid in (bool[])[false, true])
            if (header == string.Join(',', new Layout(targeted, names, valid).Header)) return new Layout(targeted, names, valid);
        return null;
    }

    /// <summary>Whether the rows are ADef's: ADef writes ‖τ‖_T on every row, DeepFool on none.</summary>
    /// <exception cref="UsageException">Some rows have ‖τ‖_T and others not.</exception>
    public static bool AreDeformations(IReadOnlyList<Row> rows)
    {
        rows = Readable(rows);
        int withTNorm = rows.Count(r => r.Fields[6].Length > 0);
        if (withTNorm > 0 && withTNorm < rows.Count)
            throw new UsageException($"{withTNorm} of {rows.Count} rows have a t_norm: a results.csv holds either ADef rows (all with t_norm) or DeepFool rows (none).");
        return withTNorm > 0;
    }

    /// <summary>The row as the library's <see cref="AttackRecord"/>, for a robustness report.</summary>
    /// <exception cref="UsageException">The row's outcome is not an <see cref="AttackOutcome"/> name.</exception>
    public static AttackRecord Record(Row row) => new(row.Original,
        Enum.GetNames<AttackOutcome>().Contains(row.Outcome) ? Enum.Parse<AttackOutcome>(row.Outcome)
            : throw new UsageException($"Row '{row.File}' has the outcome '{row.Outcome}', which is none of {string.Join(", ", Enum.GetNames<AttackOutcome>())}."),
        row.Iterations, row.PixelL2, row.PixelLInf, row.TNorm, row.Truth);

    /// <summary>The robustness report of the rows, ADef's or DeepFool's as <see cref="AreDeformations"/> says.</summary>
    /// <exception cref="UsageException">The rows mix ADef and DeepFool, or a row's outcome is unknown.</exception>
    public static RobustnessReport Report(IReadOnlyList<Row> rows) =>
        RobustnessReport.FromRecords(Readable(rows).Select(Record).ToList(), AreDeformations(rows));

    /// <summary>The rows of images that were read (an <see cref="Row.Unreadable"/> file has no attack to report).</summary>
    public static IReadOnlyList<Row> Readable(IReadOnlyList<Row> rows) =>
        rows.Any(r => r.Unreadable) ? rows.Where(r => !r.Unreadable).ToList() : rows;

    /// <summary>The <see cref="AttackSummary"/> of the rows of images that were read (same protocol as <see cref="AttackSummary.From"/>).</summary>
    public static AttackSummary Summarise(IReadOnlyList<Row> rows) =>
        AttackSummary.From(Readable(rows).Select(r => new AttackSummaryEntry(
            r.Outcome != nameof(AttackOutcome.AlreadyMisclassified), r.Outcome == nameof(AttackOutcome.Fooled),
            r.Iterations, r.TNorm, r.PixelL2, r.PixelLInf)).ToList());

    private static void WriteFields(CsvWriter csv, string[] fields)
    {
        foreach (string field in fields) csv.WriteField(field);
        csv.EndRecord();
    }

    private static bool TryInteger(string s, out int value) =>
        int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out value);

    private static double NumberOrNaN(string s) =>
        double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) ? v : double.NaN;
}
