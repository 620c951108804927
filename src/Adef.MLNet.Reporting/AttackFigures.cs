using System.Globalization;
using Adef.MLNet.Evaluation.Plotting;
using OxyPlot;

namespace Adef.MLNet.Evaluation;

/// <summary>
/// PNG figures of attack results, drawn with OxyPlot (SkiaSharp renderer): a grid of attacked examples with their
/// vector fields, and the distribution of ‖τ‖_T over successful deformations.
/// </summary>
/// <remarks>
/// Every figure has a fixed, documented size so that reports lay out predictably. Text is drawn in DejaVu Sans,
/// found among the system's fonts (Debian: <c>fonts-dejavu-core</c>); on a machine without it the figures are
/// still written at their documented sizes, with text in Skia's fallback typeface or, with no font at all, none.
/// </remarks>
public static class AttackFigures
{
    /// <summary>Width in pixels of the example grid: three panels of <see cref="ExampleGridPanelSize"/>.</summary>
    public const int ExampleGridWidth = 3 * ExampleGridPanelSize;

    /// <summary>Width and height in pixels of one panel of the example grid, title included.
    /// The grid is <see cref="ExampleGridWidth"/> wide and this many pixels high per row.</summary>
    public const int ExampleGridPanelSize = 320;

    /// <summary>Width in pixels of the example grid with a difference panel: four panels of <see cref="ExampleGridPanelSize"/>.</summary>
    public const int ExampleGridWithDifferenceWidth = 4 * ExampleGridPanelSize;

    /// <summary>Width in pixels of the success-vs-budget curve.</summary>
    public const int SuccessCurveWidth = 800;

    /// <summary>Height in pixels of the success-vs-budget curve.</summary>
    public const int SuccessCurveHeight = 500;

    /// <summary>Width in pixels of the ‖τ‖_T histogram.</summary>
    public const int HistogramWidth = 800;

    /// <summary>Height in pixels of the ‖τ‖_T histogram.</summary>
    public const int HistogramHeight = 500;

    /// <summary>Default title of <see cref="SaveTNormHistogram"/>.</summary>
    public const string DefaultHistogramTitle = "‖τ‖_T of successful deformations";

    /// <summary>About this many arrows are drawn along the longer image side when the arrow spacing is automatic.</summary>
    private const int ArrowsAlongLongerSide = 14;

    /// <summary>Size in pixels of the PNG that <see cref="SaveExampleGrid(string, IReadOnlyList{ExampleRow}, ImageDisplay, int)"/> writes for <paramref name="rowCount"/> rows:
    /// <see cref="ExampleGridWidth"/> × (<paramref name="rowCount"/> × <see cref="ExampleGridPanelSize"/>).</summary>
    /// <param name="rowCount">Number of examples (rows), at least 1.</param>
    /// <returns>The width and height of the figure.</returns>
    public static (int Width, int Height) ExampleGridSize(int rowCount)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rowCount, 1);
        return (ExampleGridWidth, checked(rowCount * ExampleGridPanelSize));
    }

    /// <summary>Size in pixels of the PNG that <see cref="SaveExampleGrid(string, IReadOnlyList{ExampleRow}, ImageDisplay, int, bool)"/>
    /// writes for <paramref name="rowCount"/> rows: <see cref="ExampleGridWithDifferenceWidth"/> (with the difference panel) or
    /// <see cref="ExampleGridWidth"/> wide, and <paramref name="rowCount"/> × <see cref="ExampleGridPanelSize"/> high.</summary>
    /// <param name="rowCount">Number of examples (rows), at least 1.</param>
    /// <param name="withDifference">Whether the grid has the difference panel.</param>
    /// <returns>The width and height of the figure.</returns>
    public static (int Width, int Height) ExampleGridSize(int rowCount, bool withDifference)
    {
        (int width, int height) = ExampleGridSize(rowCount);
        return (withDifference ? ExampleGridWithDifferenceWidth : width, height);
    }

    /// <summary>
    /// Writes a PNG with one row per example and three panels per row: the original image titled
    /// "original: <i>label</i>", the deformed image titled "deformed: <i>label</i>", and the vector field τ titled
    /// "‖τ‖_T = <i>x</i> px, arrows ×<i>f</i>": a heat map of the displacement length |τ(p)| in pixels with a colour bar,
    /// under arrows magnified <i>f</i> times.
    /// </summary>
    /// <param name="path">PNG file to write; its folder is created if missing and an existing file is replaced.</param>
    /// <param name="rows">The examples, top to bottom; at least one.</param>
    /// <param name="display">Shape of the images and fields in <paramref name="rows"/>, and the value range shown black-to-white.</param>
    /// <param name="arrowSpacing">Distance in image pixels between drawn arrows; 0 (default) picks it so that about
    /// 14 arrows span the longer image side (2 for 28×28 MNIST).</param>
    /// <remarks>
    /// <para>The figure is <see cref="ExampleGridWidth"/> (960) pixels wide and <see cref="ExampleGridPanelSize"/> (320)
    /// pixels high per row; see <see cref="ExampleGridSize(int)"/>. Images are scaled up with nearest-neighbour sampling and
    /// keep their aspect ratio. Labels longer than 24 characters are shortened to their part before the first comma
    /// (ImageNet names: "great white shark, white shark, …" → "great white shark"), or cut with "…".</para>
    /// <para>The heat map runs from white at 0 through yellow and orange to red at the field's largest |τ|; the colour bar
    /// beside it, titled "|τ| (px)", gives the scale in pixels (0 to 1 px for a zero field, which is all white and has
    /// no arrows). It shows the field at any image size: an ImageNet deformation moves pixels by a fraction of a pixel.</para>
    /// <para>Arrows are drawn in image coordinates (y grows downwards), from the centre of pixel p to p + <i>f</i>·τ(p). A
    /// field with τx &gt; 0 therefore has arrows pointing right, towards where the deformed image samples the original from
    /// (its content appears moved left). The image is divided into cells of <paramref name="arrowSpacing"/> ×
    /// <paramref name="arrowSpacing"/> pixels, and each cell draws one arrow, at its pixel of largest |τ| (its centre for a
    /// uniform field). The factor <i>f</i> is 1, 2, 2.5 or 5 times a power of ten, the largest that keeps the longest
    /// arrow within 0.9 of the spacing (×25 for a 0.3 px field on a 224-pixel image; ×1 or less for MNIST fields of a pixel
    /// or more). Arrows too short to show a direction on screen (under about 1.5 figure pixels) are left out, and
    /// arrowheads shrink with short arrows.</para>
    /// </remarks>
    /// <exception cref="ArgumentNullException"><paramref name="rows"/> or <paramref name="display"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="path"/> is empty, <paramref name="rows"/> is empty or holds a
    /// row whose arrays do not match <paramref name="display"/>, contain a non-finite value, or whose labels are null or
    /// ‖τ‖_T is negative or not finite; or <paramref name="display"/> is not a 1- or 3-channel image with a non-empty display range.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="arrowSpacing"/> is negative.</exception>
    public static void SaveExampleGrid(string path, IReadOnlyList<ExampleRow> rows, ImageDisplay display, int arrowSpacing = 0) =>
        SaveExampleGrid(path, rows, display, arrowSpacing, withDifference: false);

    /// <summary>
    /// Writes the example grid of <see cref="SaveExampleGrid(string, IReadOnlyList{ExampleRow}, ImageDisplay, int)"/>, with, when
    /// <paramref name="withDifference"/> is true, a fourth panel between the deformed image and the vector field: the
    /// difference deformed − original (averaged over channels) in a diverging colour map symmetric about 0 — white where
    /// nothing changed, red where the deformed image is brighter, blue where it is darker, full colour at the image's
    /// largest absolute difference, which the panel's title gives ("deformed − original, ±<i>d</i>").
    /// </summary>
    /// <param name="path">PNG file to write; its folder is created if missing and an existing file is replaced.</param>
    /// <param name="rows">The examples, top to bottom; at least one.</param>
    /// <param name="display">Shape of the images and fields in <paramref name="rows"/>, and the value range shown black-to-white.</param>
    /// <param name="arrowSpacing">Distance in image pixels between drawn arrows; 0 picks it automatically.</param>
    /// <param name="withDifference">Whether to add the difference panel.</param>
    /// <remarks>The figure is <see cref="ExampleGridWithDifferenceWidth"/> (1280) pixels wide with the difference panel,
    /// <see cref="ExampleGridWidth"/> (960) without, and <see cref="ExampleGridPanelSize"/> (320) pixels high per row; see
    /// <see cref="ExampleGridSize(int, bool)"/>. Difference values are in the images' own units (not the display range).</remarks>
    /// <exception cref="ArgumentNullException"><paramref name="rows"/> or <paramref name="display"/> is null.</exception>
    /// <exception cref="ArgumentException">As for <see cref="SaveExampleGrid(string, IReadOnlyList{ExampleRow}, ImageDisplay, int)"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="arrowSpacing"/> is negative.</exception>
    public static void SaveExampleGrid(string path, IReadOnlyList<ExampleRow> rows, ImageDisplay display, int arrowSpacing, bool withDifference)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(display);
        ArgumentOutOfRangeException.ThrowIfNegative(arrowSpacing);
        FigureInput.ValidateDisplay(display);
        if (rows.Count == 0)
        {
            throw new ArgumentException("At least one example row is needed to draw a grid.", nameof(rows));
        }

        for (int i = 0; i < rows.Count; i++)
        {
            FigureInput.ValidateRow(rows[i], i, display);
        }

        int spacing = arrowSpacing > 0
            ? arrowSpacing
            : Math.Max(1, (int)Math.Ceiling(Math.Max(display.Shape.Height, display.Shape.Width) / (double)ArrowsAlongLongerSide));

        var panels = new List<PlotModel>(3 * rows.Count);
        foreach (ExampleRow row in rows)
        {
            OxyImage original = PanelImage.FromPixels(row.Original, display);
            panels.Add(ImagePanel.Create(original, display, $"original: {FigureStyle.ShortLabel(row.OriginalLabel)}"));
            OxyImage deformed = PanelImage.FromPixels(row.Deformed, display);
            panels.Add(ImagePanel.Create(deformed, display, $"deformed: {FigureStyle.ShortLabel(row.AdversarialLabel)}"));
            if (withDifference)
            {
                OxyImage difference = PanelImage.FromDifference(row.Original, row.Deformed, display, out double range);
                panels.Add(ImagePanel.Create(difference, display, $"deformed − original, ±{range.ToString("0.00", CultureInfo.InvariantCulture)}"));
            }

            panels.Add(FieldPanel.Create(row.VectorField, display, row.TNorm, spacing, ExampleGridPanelSize));
        }

        PngFigure.SaveGrid(panels, columns: withDifference ? 4 : 3, ExampleGridPanelSize, ExampleGridPanelSize, path);
    }

    /// <summary>
    /// Writes a PNG histogram of ‖τ‖_T (pixels) over successful deformations, with a vertical line at
    /// <paramref name="epsilon"/> labelled "ε = 3" and a legend giving the fraction of deformations with ‖τ‖_T ≤ ε.
    /// </summary>
    /// <param name="path">PNG file to write; its folder is created if missing and an existing file is replaced.</param>
    /// <param name="tNorms">‖τ‖_T of each deformation in pixels. Non-finite values (NaN marks a failed attack) are
    /// left out; at least one finite value is needed.</param>
    /// <param name="epsilon">The budget ε in pixels against which the deformations are measured; positive. Default 3.</param>
    /// <param name="title">Figure title; empty for none. Default <see cref="DefaultHistogramTitle"/>.</param>
    /// <remarks>
    /// The figure is <see cref="HistogramWidth"/> × <see cref="HistogramHeight"/> (800 × 500) pixels. Bins start at 0 and,
    /// unless the norms range far beyond ε, a bin edge falls on ε. The x axis reads "‖τ‖_T (pixels)", the y axis
    /// "deformations (count)".
    /// </remarks>
    /// <exception cref="ArgumentNullException"><paramref name="tNorms"/> or <paramref name="title"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="path"/> is empty, <paramref name="tNorms"/> holds no finite
    /// value, or holds a negative one.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="epsilon"/> is not a positive finite number.</exception>
    public static void SaveTNormHistogram(string path, IReadOnlyList<double> tNorms, double epsilon = 3, string title = DefaultHistogramTitle)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentNullException.ThrowIfNull(tNorms);
        ArgumentNullException.ThrowIfNull(title);
        if (!double.IsFinite(epsilon) || epsilon <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(epsilon), epsilon, "ε must be a positive number of pixels.");
        }

        List<double> norms = FiniteNorms(tNorms);
        PngFigure.Save(NormHistogram.Create(norms, epsilon, title), path, HistogramWidth, HistogramHeight);
    }

    /// <summary>
    /// Writes a PNG of the success-vs-budget curve: for each budget ε, the share of attacked images fooled with a norm
    /// ≤ ε (<see cref="RobustnessReport.SuccessCurve(int)"/>), as a line from the first to the last point, with a dotted
    /// line at the last point's rate (the success rate without budget) and, if given, a dashed vertical line at
    /// <paramref name="epsilon"/>.
    /// </summary>
    /// <param name="path">PNG file to write; its folder is created if missing and an existing file is replaced.</param>
    /// <param name="curve">At least two (ε, rate) points with finite, non-negative ε in ascending order and rates in [0, 1].</param>
    /// <param name="normAxisTitle">Title of the x axis, naming the norm and its unit, e.g. "‖τ‖_T (pixels)" or "pixel ℓ2".</param>
    /// <param name="epsilon">A budget to mark (positive, finite), or null for none.</param>
    /// <param name="title">Figure title; empty for none.</param>
    /// <remarks>The figure is <see cref="SuccessCurveWidth"/> × <see cref="SuccessCurveHeight"/> (800 × 500) pixels; the y axis
    /// runs from 0 to 105 %.</remarks>
    /// <exception cref="ArgumentNullException"><paramref name="curve"/>, <paramref name="normAxisTitle"/> or <paramref name="title"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="path"/> or <paramref name="normAxisTitle"/> is empty, or
    /// <paramref name="curve"/> has fewer than two points, a negative, non-finite or decreasing ε, or a rate outside [0, 1]
    /// (NaN: no image was attacked).</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="epsilon"/> is not a positive finite number.</exception>
    public static void SaveSuccessCurve(string path, IReadOnlyList<(double Epsilon, double Rate)> curve, string normAxisTitle,
        double? epsilon = null, string title = "")
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentNullException.ThrowIfNull(curve);
        ArgumentException.ThrowIfNullOrWhiteSpace(normAxisTitle);
        ArgumentNullException.ThrowIfNull(title);
        if (epsilon is double e && (!double.IsFinite(e) || e <= 0))
        {
            throw new ArgumentOutOfRangeException(nameof(epsilon), e, "ε must be a positive number.");
        }

        FigureInput.ValidateCurve(curve);
        PngFigure.Save(SuccessCurvePlot.Create(curve, normAxisTitle, epsilon, title), path, SuccessCurveWidth, SuccessCurveHeight);
    }

    /// <summary>The finite entries of <paramref name="tNorms"/>, in order: NaN (a failed attack) and infinities are left out.</summary>
    /// <exception cref="ArgumentException">An entry is negative, or none is finite.</exception>
    internal static List<double> FiniteNorms(IReadOnlyList<double> tNorms)
    {
        var norms = new List<double>(tNorms.Count);
        for (int i = 0; i < tNorms.Count; i++)
        {
            double norm = tNorms[i];
            if (norm < 0)
            {
                throw new ArgumentException($"tNorms[{i}] is {norm.ToString(CultureInfo.InvariantCulture)}; a norm cannot be negative.", nameof(tNorms));
            }

            if (double.IsFinite(norm))
            {
                norms.Add(norm);
            }
        }

        if (norms.Count == 0)
        {
            throw new ArgumentException(
                $"tNorms holds no finite value ({tNorms.Count} given, all NaN or infinite): there is no successful deformation to plot.",
                nameof(tNorms));
        }

        return norms;
    }
}
