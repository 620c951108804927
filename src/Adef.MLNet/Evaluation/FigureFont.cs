using ScottPlot;
using SkiaSharp;

namespace Adef.MLNet.Evaluation;

/// <summary>
/// The typeface used for every piece of text in the figures: DejaVu Sans, embedded in this assembly
/// (see <c>Evaluation/Fonts/DejaVuSans-LICENSE.txt</c>).
/// </summary>
/// <remarks>
/// ScottPlot resolves fonts through the system's font manager. With the NoDependencies SkiaSharp
/// build on a machine without fonts (a fresh CI container, where <c>fc-list</c> is empty) that
/// finds nothing and text silently disappears from the PNGs. Registering the embedded file under a
/// name that only this library asks for makes text render everywhere, identically, without
/// changing the fonts of anybody else's ScottPlot plots (we never touch <see cref="Fonts.Default"/>).
/// </remarks>
internal static class FigureFont
{
    /// <summary>The family name under which the embedded typeface is registered with ScottPlot.</summary>
    public const string Name = "Adef.MLNet DejaVu Sans";

    private const string ResourceName = "Adef.MLNet.Evaluation.Fonts.DejaVuSans.ttf";

    private static readonly object Gate = new();
    private static bool registered;

    /// <summary>Registers the embedded typeface with ScottPlot once per process.</summary>
    public static void EnsureRegistered()
    {
        lock (Gate)
        {
            if (registered)
            {
                return;
            }

            using Stream stream = typeof(FigureFont).Assembly.GetManifestResourceStream(ResourceName)
                ?? throw new InvalidOperationException($"Embedded font resource '{ResourceName}' is missing from {typeof(FigureFont).Assembly.GetName().Name}.");
            using SKData data = SKData.Create(stream);
            SKTypeface typeface = SKTypeface.FromData(data)
                ?? throw new InvalidOperationException($"SkiaSharp could not load the embedded font '{ResourceName}'.");
            Fonts.FontResolvers.Insert(0, new Resolver(typeface));
            registered = true;
        }
    }

    /// <summary>Uses the embedded typeface for the title, axis labels, tick labels and legend of <paramref name="plot"/>.</summary>
    public static void ApplyTo(Plot plot)
    {
        EnsureRegistered();
        plot.Axes.Title.Label.FontName = Name;
        foreach (IAxis axis in plot.Axes.GetAxes())
        {
            axis.Label.FontName = Name;
            axis.TickLabelStyle.FontName = Name;
        }

        plot.Legend.FontName = Name;
    }

    /// <summary>Answers only for <see cref="Name"/>; every other family falls through to the next resolver.</summary>
    private sealed class Resolver(SKTypeface typeface) : IFontResolver
    {
        public SKTypeface? CreateTypeface(string fontName, FontWeight weight, FontSlant slant, FontSpacing spacing) =>
            fontName == Name ? typeface : null;

        public SKTypeface? CreateTypeface(string fontName, bool bold, bool italic) =>
            fontName == Name ? typeface : null;
    }
}
