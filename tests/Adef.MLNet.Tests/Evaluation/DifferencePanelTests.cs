using Adef.MLNet.Classifiers;
using Adef.MLNet.Evaluation;
using Adef.MLNet.Evaluation.Plotting;
using SkiaSharp;

namespace Adef.MLNet.Tests.Evaluation;

public sealed class DifferencePanelTests : IDisposable
{
    private readonly string folder = Path.Combine(Path.GetTempPath(), "adef-difference-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(folder))
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void DifferenceIsRedWhereBrighterBlueWhereDarkerWhiteWhereEqualSymmetricAboutZero()
    {
        var layout = new ImageDisplay(new ImageShape(1, 1, 4));
        float[] original = [0f, 0.5f, 1f, 0.5f];
        float[] deformed = [0.8f, 0.5f, 0.2f, 0.9f]; // differences +0.8, 0, −0.8, +0.4

        using SKBitmap image = SKBitmap.Decode(PanelImage.FromDifference(original, deformed, layout, out double range).GetData());

        Assert.Equal(0.8, range, 6);
        Assert.Equal(new SKColor(0xB2, 0x18, 0x2B), image.GetPixel(0, 0)); // +range: full red
        Assert.Equal(SKColors.White, image.GetPixel(1, 0));
        Assert.Equal(new SKColor(0x21, 0x66, 0xAC), image.GetPixel(2, 0)); // −range: full blue
        SKColor half = image.GetPixel(3, 0);                                 // +range/2: halfway from white to red
        Assert.InRange(half.Red, 216, 217);   // 255 + 0.5 · (0xB2 − 255) = 216.5, float32 pixels land on either side
        Assert.InRange(half.Green, 139, 140); // 255 + 0.5 · (0x18 − 255) = 139.5
        Assert.InRange(half.Blue, 149, 150);  // 255 + 0.5 · (0x2B − 255) = 149
    }

    [Fact]
    public void RgbDifferenceIsTheChannelMean()
    {
        var layout = new ImageDisplay(new ImageShape(3, 1, 2));
        float[] original = [0, 0, 0, 0, 0, 0];
        float[] deformed = [0.3f, 0, 0.3f, 0, 0.3f, -0.6f]; // R, R, G, G, B, B planes

        double[] difference = PanelImage.Difference(original, deformed, layout);

        Assert.Equal(0.3, difference[0], 6);
        Assert.Equal(-0.2, difference[1], 6);
    }

    [Fact]
    public void EqualImagesGiveAWhitePanelWithRangeZero()
    {
        var layout = new ImageDisplay(new ImageShape(1, 2, 2));
        float[] same = [0.1f, 0.2f, 0.3f, 0.4f];

        using SKBitmap image = SKBitmap.Decode(PanelImage.FromDifference(same, same, layout, out double range).GetData());

        Assert.Equal(0, range);
        Assert.All(image.Pixels, p => Assert.Equal(SKColors.White, p));
    }

    [Fact]
    public void GridWithDifferenceIsFourPanelsWideAndTheOldGridStaysThree()
    {
        var layout = new ImageDisplay(new ImageShape(3, 10, 16), DisplayMin: -1, DisplayMax: 1);
        var row = new ExampleRow(new float[layout.Shape.Size], Enumerable.Repeat(0.5f, layout.Shape.Size).ToArray(),
            Enumerable.Repeat(1f, layout.Shape.FieldSize).ToArray(), "cat", "dog", Math.Sqrt(2));
        string with = Path.Combine(folder, "with.png"), without = Path.Combine(folder, "without.png");

        AttackFigures.SaveExampleGrid(with, [row, row, row], layout, arrowSpacing: 0, withDifference: true);
        AttackFigures.SaveExampleGrid(without, [row, row, row], layout, arrowSpacing: 0, withDifference: false);

        Assert.Equal((4 * 320, 3 * 320), PngHeader.ReadSize(with));
        Assert.Equal(AttackFigures.ExampleGridSize(3, withDifference: true), PngHeader.ReadSize(with));
        Assert.Equal(AttackFigures.ExampleGridSize(3), PngHeader.ReadSize(without));
        Assert.Equal(AttackFigures.ExampleGridSize(3, withDifference: false), AttackFigures.ExampleGridSize(3));
    }
}
