using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Adef.MLNet.Evaluation.Plotting;
using Adef.MLNet.Evaluation.Reporting;

namespace Adef.MLNet.Evaluation;

/// <summary>
/// Writes a self-contained robustness report for any classifier and dataset into one folder: <c>report.md</c> and
/// <c>report.html</c> with the same tables and figures, <c>report.json</c> with the numbers, and the PNG figures they
/// show (drawn with OxyPlot).
/// </summary>
/// <remarks>
/// <para>The report gives the model's accuracy, each attack's success rate, mean iterations and norm quantiles (‖τ‖_T
/// for ADef, pixel ℓ2 for DeepFool), the success rate within the budget ε, success-vs-budget curves, the ‖τ‖_T histogram
/// and example grids with a difference panel. Every number comes from one <see cref="RobustnessReportNumbers"/>, which
/// the Markdown, the HTML, the curves and <c>report.json</c> are all written from, and which
/// <see cref="Write"/> returns so that callers can serialise the same object into their own results.</para>
/// <para>The HTML page is a single file that refers to the PNGs beside it by relative file name, like the Markdown:
/// keep or move the folder as a whole. Existing files of the same names are replaced; other files are left alone.</para>
/// </remarks>
public static class RobustnessReportWriter
{
    /// <summary>File name of the Markdown report.</summary>
    public const string MarkdownFileName = "report.md";

    /// <summary>File name of the HTML report.</summary>
    public const string HtmlFileName = "report.html";

    /// <summary>File name of the numbers, <see cref="RobustnessReportNumbers"/> as JSON.</summary>
    public const string JsonFileName = "report.json";

    /// <summary>File name of the ADef success-vs-budget curve (<see cref="AttackFigures.SuccessCurveWidth"/> ×
    /// <see cref="AttackFigures.SuccessCurveHeight"/>).</summary>
    public const string AdefCurveFileName = "adef-success-curve.png";

    /// <summary>File name of the DeepFool success-vs-budget curve, written when a DeepFool report is given (same size).</summary>
    public const string DeepFoolCurveFileName = "deepfool-success-curve.png";

    /// <summary>File name of the ‖τ‖_T histogram (<see cref="AttackFigures.HistogramWidth"/> × <see cref="AttackFigures.HistogramHeight"/>),
    /// written when at least one deformation succeeded.</summary>
    public const string HistogramFileName = "adef-tnorm-histogram.png";

    /// <summary>File name of the example grid with the difference panel (<see cref="AttackFigures.ExampleGridSize(int, bool)"/>),
    /// written when examples are given.</summary>
    public const string ExamplesFileName = "adef-examples.png";

    /// <summary>How <c>report.json</c> is written (read-only): indented, NaN as the string "NaN". Pass it to
    /// <see cref="JsonSerializer.Deserialize{TValue}(string, JsonSerializerOptions)"/> to read the numbers back.</summary>
    public static JsonSerializerOptions JsonOptions { get; } = CreateJsonOptions();

    /// <summary>Writes the report and its figures into <paramref name="folder"/>.</summary>
    /// <param name="folder">Output folder; created if missing.</param>
    /// <param name="modelName">The classifier's name, shown in the title.</param>
    /// <param name="adefReport">The ADef results (<see cref="RobustnessReport.From"/>, <see cref="RobustnessReport.FromDataView"/>
    /// or <see cref="RobustnessReport.FromRecords"/>); at least one image must have been attacked. Null for a DeepFool-only
    /// report, which has no ‖τ‖_T histogram and no example grid.</param>
    /// <param name="deepFoolReport">DeepFool results on the same images, or null to leave DeepFool out. At least one of the
    /// two reports must be given.</param>
    /// <param name="examples">Successful deformations to show in the example grid, top to bottom (a handful); empty for
    /// no grid (always empty without <paramref name="adefReport"/>).</param>
    /// <param name="display">Shape and display range of the images in <paramref name="examples"/>; may be null when there are
    /// none (results kept without their images, such as the rows of a results file).</param>
    /// <param name="options">Budgets, curve resolution and labels; null for <see cref="RobustnessReportOptions.Default"/>.</param>
    /// <returns>The files written and the numbers shown.</returns>
    /// <remarks>Everything is checked before the first file is written.</remarks>
    /// <exception cref="ArgumentNullException">Both reports or <paramref name="examples"/> are null, or <paramref name="display"/> is
    /// null while there are examples.</exception>
    /// <exception cref="ArgumentException"><paramref name="folder"/> or <paramref name="modelName"/> is empty;
    /// <paramref name="adefReport"/> is not made of ADef results or attacked no image; <paramref name="deepFoolReport"/>
    /// is made of ADef results, attacked no image, covers a different number of images or gives a different accuracy;
    /// examples are given without <paramref name="adefReport"/>;
    /// an example does not match <paramref name="display"/> (see <see cref="AttackFigures.SaveExampleGrid(string, IReadOnlyList{ExampleRow}, ImageDisplay, int, bool)"/>);
    /// or an option is out of range.</exception>
    public static WrittenRobustnessReport Write(string folder, string modelName, RobustnessReport? adefReport, RobustnessReport? deepFoolReport,
        IReadOnlyList<ExampleRow> examples, ImageDisplay? display, RobustnessReportOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(folder);
        ArgumentException.ThrowIfNullOrWhiteSpace(modelName);
        if (adefReport is null && deepFoolReport is null)
        {
            throw new ArgumentNullException(nameof(adefReport), "Give an ADef report, a DeepFool report or both.");
        }

        ArgumentNullException.ThrowIfNull(examples);
        if (display is null && examples.Count > 0)
        {
            throw new ArgumentNullException(nameof(display), "The examples need their display to be drawn.");
        }

        options ??= RobustnessReportOptions.Default;
        ValidateOptions(options);
        ValidateReports(adefReport, deepFoolReport);
        if (adefReport is null && examples.Count > 0)
        {
            throw new ArgumentException("The example grid shows ADef deformations; give it with an ADef report.", nameof(examples));
        }

        if (display is not null)
        {
            FigureInput.ValidateDisplay(display, nameof(display));
            for (int i = 0; i < examples.Count; i++)
            {
                FigureInput.ValidateRow(examples[i], i, display, nameof(examples));
            }
        }

        RobustnessReportNumbers numbers = RobustnessReportNumbers.From(modelName, adefReport, deepFoolReport, options);
        Directory.CreateDirectory(folder);
        var files = new List<string>();
        ReportFigures figures = WriteFigures(folder, numbers, adefReport, examples, display, options, files);

        IReadOnlyList<ReportBlock> blocks = ReportContent.Build(numbers, figures, options.CurveTableRows);
        WriteText(folder, JsonFileName, JsonSerializer.Serialize(numbers, JsonOptions), files);
        WriteText(folder, MarkdownFileName, MarkdownRenderer.Render(blocks), files);
        WriteText(folder, HtmlFileName, HtmlRenderer.Render(ReportContent.Title(numbers), blocks), files);
        return new WrittenRobustnessReport(files, numbers);
    }

    private static ReportFigures WriteFigures(string folder, RobustnessReportNumbers numbers, RobustnessReport? adefReport,
        IReadOnlyList<ExampleRow> examples, ImageDisplay? display, RobustnessReportOptions options, List<string> files)
    {
        Figure? adefCurve = numbers.Adef is null ? null : WriteCurve(folder, AdefCurveFileName, numbers.Adef, "‖τ‖_T (pixels)", files);
        Figure? deepFoolCurve = numbers.DeepFool is null ? null : WriteCurve(folder, DeepFoolCurveFileName, numbers.DeepFool, "pixel ℓ2", files);

        Figure? histogram = null;
        if (adefReport is { SuccessfulNorms.Count: > 0 })
        {
            string path = Path.Combine(folder, HistogramFileName);
            AttackFigures.SaveTNormHistogram(path, adefReport.SuccessfulNorms, options.Epsilon,
                $"{numbers.Model}, ADef: ‖τ‖_T of {adefReport.SuccessfulNorms.Count} successful deformations");
            files.Add(Path.GetFullPath(path));
            histogram = new Figure(HistogramFileName, "Histogram of ‖τ‖_T over successful deformations; the dashed line is the budget ε.",
                AttackFigures.HistogramWidth, AttackFigures.HistogramHeight);
        }

        Figure? grid = null;
        if (examples.Count > 0 && display is not null)
        {
            string path = Path.Combine(folder, ExamplesFileName);
            AttackFigures.SaveExampleGrid(path, examples, display, options.ArrowSpacing, withDifference: true);
            files.Add(Path.GetFullPath(path));
            (int width, int height) = AttackFigures.ExampleGridSize(examples.Count, withDifference: true);
            grid = new Figure(ExamplesFileName,
                "Per row: original, deformed, deformed − original (red brighter, blue darker), and the vector field τ: |τ| in pixels as a heat map, τ as arrows magnified by the factor in the panel's title.",
                width, height);
        }

        return new ReportFigures(adefCurve, deepFoolCurve, histogram, grid);
    }

    private static Figure WriteCurve(string folder, string fileName, AttackReportNumbers attack, string axisTitle, List<string> files)
    {
        string path = Path.Combine(folder, fileName);
        AttackFigures.SaveSuccessCurve(path, attack.SuccessCurve.Select(p => (p.Epsilon, p.SuccessRate)).ToArray(), axisTitle,
            attack.Epsilon, $"{attack.Attack}: share of attacked images fooled with {attack.Norm} ≤ ε");
        files.Add(Path.GetFullPath(path));
        return new Figure(fileName, $"{attack.Attack}: share of the {attack.Summary.Attacked} attacked images fooled with {attack.Norm} ≤ ε, as ε grows.",
            AttackFigures.SuccessCurveWidth, AttackFigures.SuccessCurveHeight);
    }

    private static void WriteText(string folder, string fileName, string text, List<string> files)
    {
        string path = Path.GetFullPath(Path.Combine(folder, fileName));
        File.WriteAllText(path, text, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));
        files.Add(path);
    }

    private static void ValidateOptions(RobustnessReportOptions options)
    {
        const string param = "options";
        if (!double.IsFinite(options.Epsilon) || options.Epsilon <= 0)
        {
            throw new ArgumentException(Invariant($"options.Epsilon must be a positive number of pixels, got {options.Epsilon}."), param);
        }

        if (options.DeepFoolEpsilon is double e && (!double.IsFinite(e) || e <= 0))
        {
            throw new ArgumentException(Invariant($"options.DeepFoolEpsilon must be null or a positive number, got {e}."), param);
        }

        if (options.CurvePoints < 2)
        {
            throw new ArgumentException($"options.CurvePoints must be at least 2, got {options.CurvePoints}.", param);
        }

        if (options.CurveTableRows < 2)
        {
            throw new ArgumentException($"options.CurveTableRows must be at least 2, got {options.CurveTableRows}.", param);
        }

        if (options.ArrowSpacing < 0)
        {
            throw new ArgumentException($"options.ArrowSpacing must be 0 (automatic) or positive, got {options.ArrowSpacing}.", param);
        }
    }

    private static void ValidateReports(RobustnessReport? adef, RobustnessReport? deepFool)
    {
        if (adef is not null)
        {
            ValidateAdefReport(adef);
        }

        if (deepFool is null)
        {
            return;
        }

        const string param = "deepFoolReport";
        if (deepFool.IsDeformation)
        {
            throw new ArgumentException("deepFoolReport is made of ADef results; build it from DeepFool results.", param);
        }

        if (adef is not null && deepFool.Summary.Images != adef.Summary.Images)
        {
            throw new ArgumentException(
                $"deepFoolReport covers {deepFool.Summary.Images} images and adefReport {adef.Summary.Images}; both must be on the same images.", param);
        }

        if (deepFool.Summary.Attacked == 0)
        {
            throw new ArgumentException($"deepFoolReport attacked no image of {deepFool.Summary.Images}: there is nothing to report.", param);
        }

        if (adef is { LabelledImages: > 0 } && deepFool.LabelledImages > 0 && adef.Accuracy != deepFool.Accuracy)
        {
            throw new ArgumentException(
                Invariant($"deepFoolReport gives accuracy {deepFool.Accuracy:P2} and adefReport {adef.Accuracy:P2}; both must be on the same images and model."),
                param);
        }
    }

    private static void ValidateAdefReport(RobustnessReport adef)
    {
        if (adef.Summary.Images > 0 && !adef.IsDeformation)
        {
            throw new ArgumentException("adefReport is made of additive (DeepFool) results; build it from ADef results.", "adefReport");
        }

        if (adef.Summary.Attacked == 0)
        {
            throw new ArgumentException(
                $"adefReport attacked no image ({adef.Summary.Images} images, all misclassified or none given): there is nothing to report.",
                "adefReport");
        }
    }

    private static JsonSerializerOptions CreateJsonOptions()
    {
        var options = new JsonSerializerOptions
        {
            WriteIndented = true,
            NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        };
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
