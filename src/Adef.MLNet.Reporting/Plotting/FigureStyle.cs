using OxyPlot;

namespace Adef.MLNet.Evaluation.Plotting;

/// <summary>Colours, typeface and font sizes shared by every figure.</summary>
/// <remarks>
/// OxyPlot's SkiaSharp renderer resolves typefaces by family name through the system's fonts. Where
/// <see cref="FontFamily"/> is not installed (e.g. a container without fonts-dejavu-core), Skia falls
/// back to its default typeface, which on a machine without any font draws no text; the figures are
/// still written at their documented sizes.
/// </remarks>
internal static class FigureStyle
{
    /// <summary>Family of every piece of text; DejaVu Sans has the glyphs the figures use (‖ τ ε ≤).</summary>
    public const string FontFamily = "DejaVu Sans";

    public const double TitleFontSize = 16;
    public const double PanelTitleFontSize = 15;
    public const double AxisFontSize = 14;
    public const double LegendFontSize = 13;

    public static readonly OxyColor Accent = OxyColor.Parse("#D62728");
    public static readonly OxyColor Bars = OxyColor.Parse("#1F77B4");
    public static readonly OxyColor SecondLine = OxyColor.Parse("#FF7F0E");
    public static readonly OxyColor Frame = OxyColor.Parse("#B0B0B0");

    /// <summary>Longest class label a panel title shows: "deformed: " and this many characters fit a 320-pixel panel.</summary>
    public const int LongestPanelLabel = 24;

    /// <summary>
    /// A class label short enough for a panel title: as given when it fits <see cref="LongestPanelLabel"/>, else its part
    /// before the first comma (an ImageNet name "great white shark, white shark, …" → "great white shark") when that fits,
    /// else cut to fit with "…".
    /// </summary>
    public static string ShortLabel(string label)
    {
        if (label.Length <= LongestPanelLabel)
        {
            return label;
        }

        string first = label.Split(',')[0].Trim();
        string text = first.Length > 0 ? first : label.Trim();
        return text.Length <= LongestPanelLabel ? text : text[..(LongestPanelLabel - 1)].TrimEnd() + "…";
    }

    /// <summary>A white plot model with the figures' typeface and a title in the normal (not bold) weight.</summary>
    public static PlotModel NewModel(string? title, double titleFontSize)
    {
        return new PlotModel
        {
            Title = string.IsNullOrEmpty(title) ? null : title,
            TitleFontSize = titleFontSize,
            TitleFontWeight = FontWeights.Normal,
            DefaultFont = FontFamily,
            DefaultFontSize = AxisFontSize,
            Background = OxyColors.White,
            TextColor = OxyColors.Black,
        };
    }
}
