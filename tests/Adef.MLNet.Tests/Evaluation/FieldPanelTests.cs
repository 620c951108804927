using Adef.MLNet.Classifiers;
using Adef.MLNet.Evaluation;
using Adef.MLNet.Evaluation.Plotting;
using OxyPlot;
using OxyPlot.Annotations;
using OxyPlot.Axes;
using SkiaSharp;

namespace Adef.MLNet.Tests.Evaluation;

/// <summary>The example grid's field panel: heat map of |τ| with a colour bar in pixels, magnified arrows with the factor in the title.</summary>
public sealed class FieldPanelTests : IDisposable
{
    private static readonly ImageDisplay ImageNet = new(new ImageShape(3, 224, 224));

    private readonly string folder = Path.Combine(Path.GetTempPath(), "adef-field-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(folder))
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static SKColor Color(OxyColor c) => new(c.R, c.G, c.B);

    [Fact]
    public void HeatMapIsWhiteAtZeroAndThePalettesLastColourAtTheLargestMagnitude()
    {
        var layout = new ImageDisplay(new ImageShape(1, 1, 4));
        float[] field = [0, 3, 0, -3, /* y plane */ 0, 4, 2.5f, 0]; // |τ| = 0, 5, 2.5, 3

        using SKBitmap image = SKBitmap.Decode(PanelImage.FromFieldMagnitude(field, layout, FieldPanel.Palette, out double largest).GetData());

        Assert.Equal(5, largest, 12);
        Assert.Equal(SKColors.White, image.GetPixel(0, 0));
        Assert.Equal(Color(FieldPanel.Palette.Colors[^1]), image.GetPixel(1, 0));
        Assert.Equal(Color(FieldPanel.Palette.Colors[128]), image.GetPixel(2, 0)); // 255 · 2.5 / 5 = 127.5 rounds to 128
        Assert.Equal(Color(FieldPanel.Palette.Colors[153]), image.GetPixel(3, 0)); // 255 · 3 / 5
        Assert.Equal(4, new[] { 0, 1, 2, 3 }.Select(x => image.GetPixel(x, 0)).Distinct().Count());
    }

    [Fact]
    public void AZeroFieldDrawsAFlatWhiteHeatMapNoArrowsAndNoFactor()
    {
        float[] field = new float[ImageNet.Shape.FieldSize];

        PlotModel panel = FieldPanel.Create(field, ImageNet, tNorm: 0, spacing: 16, panelSize: 320);
        using SKBitmap heatMap = SKBitmap.Decode(PanelImage.FromFieldMagnitude(field, ImageNet, FieldPanel.Palette, out double largest).GetData());

        Assert.Equal(0, largest);
        Assert.All(heatMap.Pixels, p => Assert.Equal(SKColors.White, p));
        Assert.Empty(panel.Annotations.OfType<ArrowAnnotation>());
        Assert.Equal("‖τ‖_T = 0.00 px", panel.Title);
        Assert.Equal(1, Assert.Single(panel.Axes.OfType<LinearColorAxis>()).Maximum); // a 0–1 px bar rather than an empty range
    }

    [Fact]
    public void ArrowsOfATinyImageNetFieldAreMagnifiedByTheFactorTheTitlePrints()
    {
        float[] field = new float[ImageNet.Shape.FieldSize];
        Array.Fill(field, 0.3f, 0, 224 * 224); // 0.3 px to the right everywhere: 0.35 figure pixels at true scale

        PlotModel panel = FieldPanel.Create(field, ImageNet, tNorm: 0.3, spacing: 16, panelSize: 320);

        Assert.Equal("‖τ‖_T = 0.30 px, arrows ×25", panel.Title); // 0.9 · 16 / 0.3 = 48, rounded down to 25
        ArrowAnnotation[] arrows = panel.Annotations.OfType<ArrowAnnotation>().ToArray();
        Assert.Equal(14 * 14, arrows.Length);
        Assert.All(arrows, a => Assert.Equal((7.5, 0.0), (Math.Round(a.EndPoint.X - a.StartPoint.X, 4), a.EndPoint.Y - a.StartPoint.Y)));
        Assert.Equal((8.5, 8.5), (arrows[0].StartPoint.X, arrows[0].StartPoint.Y)); // a uniform field: the centres of the cells
        LinearColorAxis bar = Assert.Single(panel.Axes.OfType<LinearColorAxis>());
        Assert.Equal((AxisPosition.Right, FieldPanel.ColorBarTitle, 0.0), (bar.Position, bar.Title, bar.Minimum));
        Assert.Equal(0.3, bar.Maximum, 6);
    }

    [Theory]
    [InlineData(0.3, 16, 25)]
    [InlineData(0.02, 16, 500)]
    [InlineData(0.03, 2, 50)]
    [InlineData(0.5, 2, 2.5)]
    [InlineData(1.8, 2, 1)]   // exactly 0.9 of the spacing: true scale
    [InlineData(0.97, 2, 1)]
    [InlineData(3, 2, 0.5)]   // larger than the spacing: shrunk
    public void TheFactorIsOneTwoTwoAndAHalfOrFiveTimesAPowerOfTenKeepingTheLongestArrowWithinTheSpacing(double longest, int spacing, double factor)
    {
        var layout = new ImageDisplay(new ImageShape(1, 8, 8));
        float[] field = new float[layout.Shape.FieldSize];
        field[64 + 9] = (float)longest; // downwards at (1, 1)

        Assert.Equal(factor, FieldPanel.ArrowFactor(field, layout, spacing), 9);
    }

    [Fact]
    public void EachCellDrawsItsStrongestDisplacementFromThatPixel()
    {
        var layout = new ImageDisplay(new ImageShape(1, 4, 4));
        float[] field = new float[layout.Shape.FieldSize];
        field[1 * 4 + 0] = 0.5f; // (0, 1): strongest of the top-left 2×2 cell
        field[2] = 0.1f;          // (2, 0): in the top-right cell, beside its zero centre (3, 1)

        var arrows = ImagePanel.CellArrows(field, layout, spacing: 2).ToArray();

        Assert.Equal([(0, 1, 0.5, 0.0), (2, 0, 0.1f, 0.0), (1, 3, 0.0, 0.0), (3, 3, 0.0, 0.0)], arrows);
    }

    [Fact]
    public void TheRenderedPanelHasAColourBarFromWhiteToRed()
    {
        // A zero field's heat map is white and has no arrows: any red in the panel is the colour bar's.
        string path = Path.Combine(folder, "panel.png");
        PngFigure.Save(FieldPanel.Create(new float[ImageNet.Shape.FieldSize], ImageNet, 0, 16, 320), path, 320, 320);

        using SKBitmap panel = SKBitmap.Decode(path);
        // Warm colours (red well above blue) are the palette's; text is black, the frame grey, the heat map white.
        bool Warm(SKColor c) => c.Red - c.Blue > 60;
        var columns = Enumerable.Range(0, 320).Where(x => Enumerable.Range(0, 320).Count(y => Warm(panel.GetPixel(x, y))) > 100).ToArray();
        Assert.NotEmpty(columns);
        Assert.True(columns.Min() > 200, $"The bar should stand right of the image, found at x = {columns.Min()}.");
        Assert.InRange(columns.Length, 5, 20); // a band, not a line
        SKColor[] bar = Enumerable.Range(0, 320).Select(y => panel.GetPixel(columns[columns.Length / 2], y)).Where(Warm).ToArray();
        Assert.True(bar.Distinct().Count() > 50, "The bar should run through the palette.");
    }

    [Fact]
    public void TheGridsFieldPanelIsAHeatMapThatVariesWhereTheFieldIsNonZero()
    {
        var layout = new ImageDisplay(new ImageShape(1, 28, 28));
        float[] field = new float[layout.Shape.FieldSize];
        for (int x = 0; x < 14; x++)
            for (int y = 0; y < 28; y++)
                field[y * 28 + x] = x / 10f; // grows to the right over the left half, zero on the right half
        var row = new ExampleRow(new float[784], new float[784], field, "3", "8", 1.3);
        string path = Path.Combine(folder, "grid.png");

        AttackFigures.SaveExampleGrid(path, [row], layout);

        using SKBitmap grid = SKBitmap.Decode(path);
        Assert.Equal(AttackFigures.ExampleGridSize(1), (grid.Width, grid.Height));
        SKColor[] middleRow = Enumerable.Range(640, 320).Select(x => grid.GetPixel(x, 180)).ToArray();
        SKColor[] heat = FieldPanel.Palette.Colors.Skip(1).Select(Color).ToArray();
        Assert.True(middleRow.Distinct().Count(heat.Contains) >= 10, "The left half of the field should show a gradient of heat colours.");
    }

    [Theory]
    [InlineData("7", "7")]
    [InlineData("tabby, tabby cat", "tabby, tabby cat")]
    [InlineData("great white shark, white shark, man-eater", "great white shark")]
    [InlineData("Ailuropoda melanoleuca giant panda bamboo bear", "Ailuropoda melanoleuca…")]
    public void LongClassNamesAreShortenedToFitAPanelTitle(string label, string shown)
    {
        Assert.Equal(shown, FigureStyle.ShortLabel(label));
        Assert.True(shown.Length <= FigureStyle.LongestPanelLabel);
    }
}
