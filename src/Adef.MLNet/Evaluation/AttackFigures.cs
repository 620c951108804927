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

    /// <summary>Width in pixels of the ‖τ‖_T histogram.</summary>
    public const int HistogramWidth = 800;

    /// <summary>Height in pixels of the ‖τ‖_T histogram.</summary>
    public const int HistogramHeight = 500;

    /// <summary>Default title of <see cref="SaveTNormHistogram"/>.</summary>
    public const string DefaultHistogramTitle = "‖τ‖_T of successful deformations";

    /// <summary>About this many arrows are drawn along the longer image side when the arrow spacing is automatic.</summary>
    private const int ArrowsAlongLongerSide = 14;

    /// <summary>Share of the original's contrast kept in the faint backdrop of the vector-field panel.</summary>
    private const double BackdropContrast = 0.35;

    /// <summary>Size in pixels of the PNG that <see cref="SaveExampleGrid"/> writes for <paramref name="rowCount"/> rows:
    /// <see cref="ExampleGridWidth"/> × (<paramref name="rowCount"/> × <see cref="ExampleGridPanelSize"/>).</summary>
    /// <param name="rowCount">Number of examples (rows), at least 1.</param>
    /// <returns>The width and height of the figure.</returns>
    public static (int Width, int Height) ExampleGridSize(int rowCount)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rowCount, 1);
        return (ExampleGridWidth, checked(rowCount * ExampleGridPanelSize));
    }

    /// <summary>
    /// Writes a PNG with one row per example and three panels per row: the original image titled
    /// "original: <i>label</i>", the deformed image titled "deformed: <i>label</i>", and the vector field
    /// τ titled "‖τ‖_T = <i>x</i> px", drawn as arrows over a faint copy of the original.
    /// </summary>
    /// <param name="path">PNG file to write; its folder is created if missing and an existing file is replaced.</param>
    /// <param name="rows">The examples, top to bottom; at least one.</param>
    /// <param name="layout">Shape of the images and fields in <paramref name="rows"/>, and the value range shown black-to-white.</param>
    /// <param name="arrowSpacing">Distance in image pixels between drawn arrows; 0 (default) picks it so that about
    /// 14 arrows span the longer image side (2 for 28×28 MNIST).</param>
    /// <remarks>
    /// <para>The figure is <see cref="ExampleGridWidth"/> (960) pixels wide and <see cref="ExampleGridPanelSize"/> (320)
    /// pixels high per row; see <see cref="ExampleGridSize"/>. Images are scaled up with nearest-neighbour sampling and
    /// keep their aspect ratio.</para>
    /// <para>Arrows are drawn in image coordinates (y grows downwards) at true scale: from the centre of pixel p to
    /// p + τ(p). A field with τx &gt; 0 therefore has arrows pointing right, towards where the deformed image samples
    /// the original from (its content appears moved left). Arrows sit on a grid of pixel centres every
    /// <paramref name="arrowSpacing"/> pixels; arrows too short to show a direction on screen (under about 1.5 figure
    /// pixels) are left out, and arrowheads shrink with short arrows.</para>
    /// </remarks>
    /// <exception cref="ArgumentNullException"><paramref name="rows"/> or <paramref name="layout"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="path"/> is empty, <paramref name="rows"/> is empty or holds a
    /// row whose arrays do not match <paramref name="layout"/>, contain a non-finite value, or whose labels are null or
    /// ‖τ‖_T is negative or not finite; or <paramref name="layout"/> is not a 1- or 3-channel image with a non-empty display range.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="arrowSpacing"/> is negative.</exception>
    public static void SaveExampleGrid(string path, IReadOnlyList<ExampleRow> rows, ImageLayout layout, int arrowSpacing = 0)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(layout);
        ArgumentOutOfRangeException.ThrowIfNegative(arrowSpacing);
        ValidateLayout(layout);
        if (rows.Count == 0)
        {
            throw new ArgumentException("At least one example row is needed to draw a grid.", nameof(rows));
        }

        for (int i = 0; i < rows.Count; i++)
        {
            ValidateRow(rows[i], i, layout);
        }

        int spacing = arrowSpacing > 0
            ? arrowSpacing
            : Math.Max(1, (int)Math.Ceiling(Math.Max(layout.Height, layout.Width) / (double)ArrowsAlongLongerSide));

        var panels = new List<PlotModel>(3 * rows.Count);
        foreach (ExampleRow row in rows)
        {
            OxyImage original = PanelImage.FromPixels(row.Original, layout, contrast: 1);
            panels.Add(ImagePanel.Create(original, layout, $"original: {row.OriginalLabel}"));
            OxyImage deformed = PanelImage.FromPixels(row.Deformed, layout, contrast: 1);
            panels.Add(ImagePanel.Create(deformed, layout, $"deformed: {row.AdversarialLabel}"));
            OxyImage backdrop = PanelImage.FromPixels(row.Original, layout, contrast: BackdropContrast);
            PlotModel field = ImagePanel.Create(backdrop, layout, $"‖τ‖_T = {row.TNorm.ToString("0.00", CultureInfo.InvariantCulture)} px");
            ImagePanel.AddArrows(field, row.VectorField, layout, spacing, ExampleGridPanelSize);
            panels.Add(field);
        }

        PngFigure.SaveGrid(panels, columns: 3, ExampleGridPanelSize, ExampleGridPanelSize, path);
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

    private static void ValidateLayout(ImageLayout layout)
    {
        if (layout.Channels is not (1 or 3))
        {
            throw new ArgumentException($"layout.Channels must be 1 (grey) or 3 (RGB), got {layout.Channels}.", nameof(layout));
        }

        if (layout.Height <= 0 || layout.Width <= 0)
        {
            throw new ArgumentException($"layout must have a positive height and width, got {layout.Height}×{layout.Width}.", nameof(layout));
        }

        if (!float.IsFinite(layout.DisplayMin) || !float.IsFinite(layout.DisplayMax) || layout.DisplayMax <= layout.DisplayMin)
        {
            throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture,
                    $"layout's display range must be finite with DisplayMin < DisplayMax, got [{layout.DisplayMin}, {layout.DisplayMax}]."),
                nameof(layout));
        }
    }

    private static void ValidateRow(ExampleRow? row, int index, ImageLayout layout)
    {
        const string param = "rows";
        if (row is null)
        {
            throw new ArgumentException($"rows[{index}] is null.", param);
        }

        string shape = $"{layout.Channels}×{layout.Height}×{layout.Width}";
        CheckArray(row.Original, nameof(ExampleRow.Original), layout.ImageLength, shape);
        CheckArray(row.Deformed, nameof(ExampleRow.Deformed), layout.ImageLength, shape);
        CheckArray(row.VectorField, nameof(ExampleRow.VectorField), layout.VectorFieldLength, $"2×{layout.Height}×{layout.Width}");
        if (row.OriginalLabel is null || row.AdversarialLabel is null)
        {
            throw new ArgumentException($"rows[{index}] needs both an original and an adversarial label.", param);
        }

        if (!double.IsFinite(row.TNorm) || row.TNorm < 0)
        {
            throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture, $"rows[{index}].TNorm must be a finite, non-negative number of pixels, got {row.TNorm}."),
                param);
        }

        void CheckArray(float[]? values, string name, int expected, string expectedShape)
        {
            if (values is null)
            {
                throw new ArgumentException($"rows[{index}].{name} is null.", param);
            }

            if (values.Length != expected)
            {
                throw new ArgumentException(
                    $"rows[{index}].{name} has {values.Length} values; layout needs {expectedShape} = {expected}.", param);
            }

            for (int k = 0; k < values.Length; k++)
            {
                if (!float.IsFinite(values[k]))
                {
                    throw new ArgumentException(
                        string.Create(CultureInfo.InvariantCulture, $"rows[{index}].{name}[{k}] is {values[k]}; values must be finite."), param);
                }
            }
        }
    }
}
