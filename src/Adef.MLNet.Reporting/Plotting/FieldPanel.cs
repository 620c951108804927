using System.Globalization;
using OxyPlot;
using OxyPlot.Axes;

namespace Adef.MLNet.Evaluation.Plotting;

/// <summary>
/// The vector-field panel of the example grid, readable at any scale: the displacement magnitude |τ(p)| in pixels as a
/// heat map with a colour bar, and τ as arrows magnified by a printed factor so that the longest is about one arrow
/// spacing long (true-scale arrows of an ImageNet deformation, a third of a pixel, would not show).
/// </summary>
internal static class FieldPanel
{
    /// <summary>The longest drawn arrow spans this share of the arrow spacing, so that neighbouring arrows do not overlap.</summary>
    private const double LongestArrowShareOfSpacing = 0.9;

    /// <summary>Palette of |τ|: white at 0 (no displacement, like the difference panel's white), through yellow and orange to
    /// red at the largest. Red stays light enough for the dark arrows to show on it.</summary>
    public static readonly OxyPalette Palette = OxyPalette.Interpolate(256,
        OxyColors.White, OxyColor.Parse("#FFEDA0"), OxyColor.Parse("#FEB24C"), OxyColor.Parse("#FC4E2A"), OxyColor.Parse("#D7191C"));

    /// <summary>Colour of the arrows: dark blue, which stands out on every colour of <see cref="Palette"/>.</summary>
    public static readonly OxyColor ArrowColor = OxyColor.Parse("#08306B");

    /// <summary>Title of the colour bar.</summary>
    public const string ColorBarTitle = "|τ| (px)";

    /// <summary>The panel of one field: heat map, colour bar from 0 to the largest |τ| (0 to 1 px for a zero field, which is
    /// all white and has no arrows), and the arrows; titled "‖τ‖_T = x px, arrows ×f", or without the factor when no arrow is drawn.</summary>
    /// <param name="field">τ, 2×H×W (x plane, then y plane), in pixels.</param>
    /// <param name="display">The images' shape.</param>
    /// <param name="tNorm">‖τ‖_T for the title.</param>
    /// <param name="spacing">Image pixels between arrows.</param>
    /// <param name="panelSize">The panel's size in figure pixels.</param>
    public static PlotModel Create(float[] field, ImageDisplay display, double tNorm, int spacing, int panelSize)
    {
        OxyImage heatMap = PanelImage.FromFieldMagnitude(field, display, Palette, out double largest);
        double factor = ArrowFactor(field, display, spacing);
        string title = $"‖τ‖_T = {tNorm.ToString("0.00", CultureInfo.InvariantCulture)} px";
        PlotModel panel = ImagePanel.Create(heatMap, display, largest > 0 ? $"{title}, arrows ×{FormatFactor(factor)}" : title);
        panel.Axes.Add(new LinearColorAxis
        {
            Position = AxisPosition.Right,
            Palette = Palette,
            Minimum = 0,
            Maximum = largest > 0 ? largest : 1,
            Title = ColorBarTitle,
            FontSize = FigureStyle.LegendFontSize - 2,
            TitleFontSize = FigureStyle.LegendFontSize - 1,
            // OxyPlot draws the colour band MajorTickSize − 2 pixels wide; the ticks then mark across it.
            MajorTickSize = 14,
            MinorTickSize = 0,
            IsZoomEnabled = false,
            IsPanEnabled = false,
        });
        if (largest > 0)
        {
            ImagePanel.AddArrows(panel, field, display, spacing, panelSize, factor, ArrowColor);
        }

        return panel;
    }

    /// <summary>
    /// How much the arrows are magnified: the largest of 1, 2, 2.5 and 5 times a power of ten that keeps the longest arrow
    /// of <see cref="ImagePanel.CellArrows"/> within <see cref="LongestArrowShareOfSpacing"/> of the spacing — below 1 for fields larger than that.
    /// 1 for a zero field.
    /// </summary>
    public static double ArrowFactor(float[] field, ImageDisplay display, int spacing)
    {
        double longest = 0;
        foreach ((_, _, double dx, double dy) in ImagePanel.CellArrows(field, display, spacing))
        {
            longest = Math.Max(longest, Math.Sqrt(dx * dx + dy * dy));
        }

        if (longest == 0)
        {
            return 1;
        }

        double raw = LongestArrowShareOfSpacing * spacing / longest;
        double decade = Math.Pow(10, Math.Floor(Math.Log10(raw)));
        foreach (double step in new[] { 5, 2.5, 2, 1 })
        {
            if (step * decade <= raw * (1 + 1e-12))
            {
                return step * decade;
            }
        }

        return decade;
    }

    /// <summary>The factor as printed: "25", "2.5", "0.5", "0.025".</summary>
    public static string FormatFactor(double factor) => factor.ToString("0.####", CultureInfo.InvariantCulture);
}
