using System.Globalization;
using ScottPlot;
using ScottPlot.Plottables;

namespace Adef.MLNet.Evaluation;

/// <summary>
/// PNG figures of attack results, drawn with ScottPlot: a grid of attacked examples with their
/// vector fields, and the distribution of ‖τ‖_T over successful deformations.
/// </summary>
/// <remarks>
/// Every figure has a fixed, documented size so that reports lay out predictably. Text is drawn with
/// a typeface embedded in this library, so figures render the same on machines without any system fonts.
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

    /// <summary>Arrows shorter than this on screen (figure pixels) show no direction and are left out.</summary>
    private const double ShortestArrowOnScreen = 1.5;

    /// <summary>Largest arrowhead length and width in figure pixels; shorter arrows get proportionally smaller heads.</summary>
    private const float LargestArrowhead = 6;

    /// <summary>Figure pixels that a panel's title takes off its height, used to estimate the on-screen scale of an image.</summary>
    private const int PanelTitleAllowance = 40;

    /// <summary>Share of the original's contrast kept in the faint backdrop of the vector-field panel.</summary>
    private const double BackdropContrast = 0.35;

    private const float TitleFontSize = 15;
    private static readonly Color ArrowColor = Color.FromHex("#D62728");
    private static readonly Color BarColor = Color.FromHex("#1F77B4");
    private static readonly Color FrameColor = Color.FromHex("#B0B0B0");
    private static readonly Color EpsilonColor = Color.FromHex("#D62728");

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

        FigureFont.EnsureRegistered();
        var images = new List<Image>();
        var multiplot = new Multiplot();
        try
        {
            multiplot.AddPlots(3 * rows.Count);
            multiplot.Layout = new ScottPlot.MultiplotLayouts.Grid(rows.Count, 3);
            for (int i = 0; i < rows.Count; i++)
            {
                ExampleRow row = rows[i];
                Image original = ToImage(row.Original, layout, contrast: 1);
                Image deformed = ToImage(row.Deformed, layout, contrast: 1);
                Image backdrop = ToImage(row.Original, layout, contrast: BackdropContrast);
                images.AddRange([original, deformed, backdrop]);

                Plot originalPanel = multiplot.GetPlot(3 * i);
                SetUpImagePanel(originalPanel, original, layout, $"original: {row.OriginalLabel}");

                Plot deformedPanel = multiplot.GetPlot(3 * i + 1);
                SetUpImagePanel(deformedPanel, deformed, layout, $"deformed: {row.AdversarialLabel}");

                Plot fieldPanel = multiplot.GetPlot(3 * i + 2);
                SetUpImagePanel(fieldPanel, backdrop, layout, $"‖τ‖_T = {row.TNorm.ToString("0.00", CultureInfo.InvariantCulture)} px");
                AddArrows(fieldPanel, row.VectorField, layout, spacing);
            }

            (int width, int height) = ExampleGridSize(rows.Count);
            multiplot.SavePng(PrepareOutputPath(path), width, height);
        }
        finally
        {
            foreach (Plot panel in multiplot.GetPlots())
            {
                panel.Dispose();
            }

            foreach (Image image in images)
            {
                image.Dispose();
            }
        }
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
        int withinBudget = norms.Count(n => n <= epsilon);
        double fractionWithin = (double)withinBudget / norms.Count;
        (double binSize, int binCount) = ChooseBins(norms.Max(), epsilon);
        var histogram = ScottPlot.Statistics.Histogram.WithBinSize(binSize, 0, (binCount - 1) * binSize);
        histogram.AddRange(norms);

        FigureFont.EnsureRegistered();
        using var plot = new Plot();
        HistogramBars bars = plot.Add.Histogram(histogram, BarColor);
        bars.BarWidthFraction = 0.9;

        string epsilonText = epsilon.ToString("0.##", CultureInfo.InvariantCulture);
        double countTop = Math.Max(1, histogram.Counts.Max()) * 1.25;
        plot.Add.VerticalLine(epsilon, 2, EpsilonColor, LinePattern.Dashed);
        Text epsilonLabel = plot.Add.Text($"ε = {epsilonText}", epsilon, countTop);
        bool labelLeftOfLine = epsilon > 0.8 * binCount * binSize; // keep it inside the data area
        epsilonLabel.Alignment = labelLeftOfLine ? Alignment.UpperRight : Alignment.UpperLeft;
        epsilonLabel.OffsetX = labelLeftOfLine ? -5 : 5;
        epsilonLabel.OffsetY = 5;
        epsilonLabel.LabelStyle.FontName = FigureFont.Name;
        epsilonLabel.LabelStyle.FontSize = 14;
        epsilonLabel.LabelStyle.ForeColor = EpsilonColor;

        plot.Legend.ManualItems.Add(new LegendItem
        {
            LabelText = $"successful deformations (n = {norms.Count})",
            FillColor = BarColor,
        });
        plot.Legend.ManualItems.Add(new LegendItem
        {
            LabelText = string.Create(CultureInfo.InvariantCulture,
                $"ε = {epsilonText} px: {withinBudget} of {norms.Count} ({fractionWithin:P1}) have ‖τ‖_T ≤ ε"),
            LineColor = EpsilonColor,
            LineWidth = 2,
            LinePattern = LinePattern.Dashed,
        });
        plot.ShowLegend(Edge.Bottom);

        plot.Title(title, 16);
        plot.XLabel("‖τ‖_T (pixels)", 14);
        plot.YLabel("deformations (count)", 14);
        plot.Axes.SetLimitsX(0, binCount * binSize);
        plot.Axes.SetLimitsY(0, countTop);
        plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { IntegerTicksOnly = true };
        FigureFont.ApplyTo(plot);
        plot.SavePng(PrepareOutputPath(path), HistogramWidth, HistogramHeight);
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

    /// <summary>Bins from 0 past the largest norm and ε; ε/k wide (so ε is an edge) unless that needs over 60 bins.</summary>
    private static (double BinSize, int BinCount) ChooseBins(double largestNorm, double epsilon)
    {
        const int maxBins = 60;
        double upper = Math.Max(largestNorm, epsilon) * 1.05;
        int perEpsilon = Math.Clamp((int)Math.Floor(maxBins * epsilon / upper), 1, 10);
        double binSize = epsilon / perEpsilon;
        int binCount = (int)Math.Ceiling(upper / binSize);
        if (binCount > maxBins)
        {
            binSize = upper / maxBins;
            binCount = maxBins;
        }

        // The last bin's right edge must lie strictly above the largest norm for it to be counted.
        if (binCount * binSize <= largestNorm)
        {
            binCount++;
        }

        return (binSize, binCount);
    }

    private static void SetUpImagePanel(Plot panel, Image image, ImageLayout layout, string title)
    {
        // Image coordinates: x = column in [0, W], y = row in [0, H] growing downwards.
        var imageArea = new CoordinateRect(left: 0, right: layout.Width, bottom: layout.Height, top: 0);
        ImageRect rect = panel.Add.ImageRect(image, imageArea);
        rect.AntiAlias = false;
        Rectangle frame = panel.Add.Rectangle(imageArea);
        frame.FillStyle.Color = Colors.Transparent;
        frame.LineStyle.Color = FrameColor;
        frame.LineStyle.Width = 1;
        panel.HideAxesAndGrid();
        panel.Axes.SetLimits(left: 0, right: layout.Width, bottom: layout.Height, top: 0);
        panel.Axes.SquareUnits();
        panel.Title(title, TitleFontSize);
        panel.Axes.Title.Label.Bold = false;
        FigureFont.ApplyTo(panel);
    }

    private static void AddArrows(Plot panel, float[] field, ImageLayout layout, int spacing)
    {
        // Approximate figure pixels per image pixel; only used to size arrowheads and drop invisible arrows.
        double screenScale = (ExampleGridPanelSize - PanelTitleAllowance) / (double)Math.Max(layout.Height, layout.Width);
        int plane = layout.Height * layout.Width;
        for (int y = spacing / 2; y < layout.Height; y += spacing)
        {
            for (int x = spacing / 2; x < layout.Width; x += spacing)
            {
                int p = y * layout.Width + x;
                double dx = field[p];
                double dy = field[plane + p];
                double screenLength = Math.Sqrt(dx * dx + dy * dy) * screenScale;
                if (screenLength < ShortestArrowOnScreen)
                {
                    continue;
                }

                // From the centre of pixel p to p + τ(p), in image coordinates (y down, like the panel's axis).
                var start = new Coordinates(x + 0.5, y + 0.5);
                Arrow arrow = panel.Add.Arrow(start, new Coordinates(start.X + dx, start.Y + dy));
                float head = (float)Math.Min(LargestArrowhead, 0.5 * screenLength);
                arrow.ArrowLineColor = ArrowColor;
                arrow.ArrowFillColor = ArrowColor;
                arrow.ArrowLineWidth = 0;
                arrow.ArrowWidth = 1.5f;
                arrow.ArrowheadWidth = head;
                arrow.ArrowheadLength = head;
                arrow.ArrowheadAxisLength = head;
                arrow.ArrowMinimumLength = 0;
            }
        }
    }

    /// <summary>Maps a C×H×W image to 8-bit RGB through the layout's display range; <paramref name="contrast"/> &lt; 1
    /// blends it towards white.</summary>
    private static Image ToImage(float[] pixels, ImageLayout layout, double contrast)
    {
        int plane = layout.Height * layout.Width;
        double scale = 1.0 / ((double)layout.DisplayMax - layout.DisplayMin);
        var rgb = new byte[layout.Height, layout.Width, 3];
        for (int y = 0; y < layout.Height; y++)
        {
            for (int x = 0; x < layout.Width; x++)
            {
                for (int c = 0; c < 3; c++)
                {
                    int channel = layout.Channels == 1 ? 0 : c;
                    double v = Math.Clamp((pixels[channel * plane + y * layout.Width + x] - layout.DisplayMin) * scale, 0, 1);
                    v = 1 - contrast * (1 - v);
                    rgb[y, x, c] = (byte)Math.Round(255 * v);
                }
            }
        }

        return new Image(rgb);
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

    private static string PrepareOutputPath(string path)
    {
        string fullPath = Path.GetFullPath(path);
        string? folder = Path.GetDirectoryName(fullPath);
        if (!string.IsNullOrEmpty(folder))
        {
            Directory.CreateDirectory(folder);
        }

        return fullPath;
    }
}
