using Adef.MLNet.Evaluation;

namespace Adef.MLNet.Tests.Evaluation;

public class FigureFontTests
{
    [Fact]
    public void EmbeddedFontResolvesWithoutSystemFonts()
    {
        FigureFont.EnsureRegistered();

        // Without the embedded font a machine with no fonts resolves to Skia's empty typeface ("") and draws no text.
        SkiaSharp.SKTypeface typeface = ScottPlot.Fonts.GetTypeface(FigureFont.Name, bold: false, italic: false);

        Assert.Equal("DejaVu Sans", typeface.FamilyName);
        Assert.True(typeface.ContainsGlyphs("original: 7 deformed ‖τ‖_T = 1.23 px ε ≤ (pixels)"));
    }
}
