using Adef.MLNet.Classifiers;
using Adef.MLNet.Evaluation;

namespace Adef.MLNet.Tests.Evaluation;

public sealed class AttackFiguresTests : IDisposable
{
    private static readonly ImageDisplay Mnist = new(new ImageShape(1, 28, 28));

    private readonly string folder = Path.Combine(Path.GetTempPath(), "adef-figures-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(folder))
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void ExampleGridIsPngThreePanelsWideAndOnePanelHighPerRow()
    {
        string path = Path.Combine(folder, "grid.png");

        AttackFigures.SaveExampleGrid(path, [Example(Mnist, 1.5f, 0f), Example(Mnist, 0f, -1f)], Mnist);

        Assert.Equal((AttackFigures.ExampleGridWidth, 2 * AttackFigures.ExampleGridPanelSize), PngHeader.ReadSize(path));
        Assert.Equal((960, 640), AttackFigures.ExampleGridSize(2));
    }

    [Fact]
    public void ExampleGridDrawsRgbImagesInTheCallersDisplayRange()
    {
        var layout = new ImageDisplay(new ImageShape(3, 32, 24), DisplayMin: -2f, DisplayMax: 2f);
        string path = Path.Combine(folder, "rgb.png");

        AttackFigures.SaveExampleGrid(path, [Example(layout, 0.5f, 0.5f)], layout, arrowSpacing: 4);

        Assert.Equal(AttackFigures.ExampleGridSize(1), PngHeader.ReadSize(path));
    }

    [Fact]
    public void ExampleGridCreatesMissingOutputFolders()
    {
        string path = Path.Combine(folder, "nested", "deeper", "grid.png");

        AttackFigures.SaveExampleGrid(path, [Example(Mnist, 1f, 1f)], Mnist);

        Assert.True(File.Exists(path));
    }

    [Fact]
    public void ExampleGridRejectsEmptyRows()
    {
        var error = Assert.Throws<ArgumentException>(() => AttackFigures.SaveExampleGrid(Path.Combine(folder, "x.png"), [], Mnist));
        Assert.Equal("rows", error.ParamName);
        Assert.False(Directory.Exists(folder));
    }

    [Theory]
    [InlineData(nameof(ExampleRow.Original))]
    [InlineData(nameof(ExampleRow.Deformed))]
    [InlineData(nameof(ExampleRow.VectorField))]
    public void ExampleGridRejectsArraysThatDoNotMatchTheLayout(string which)
    {
        ExampleRow good = Example(Mnist, 1f, 0f);
        ExampleRow bad = which switch
        {
            nameof(ExampleRow.Original) => good with { Original = new float[27 * 28] },
            nameof(ExampleRow.Deformed) => good with { Deformed = new float[28 * 28 * 3] },
            _ => good with { VectorField = new float[28 * 28] },
        };

        var error = Assert.Throws<ArgumentException>(() => AttackFigures.SaveExampleGrid(Path.Combine(folder, "x.png"), [good, bad], Mnist));
        Assert.Contains($"rows[1].{which}", error.Message);
    }

    [Fact]
    public void ExampleGridRejectsNonFiniteDisplacements()
    {
        ExampleRow row = Example(Mnist, 1f, 0f);
        row.VectorField[5] = float.NaN;

        var error = Assert.Throws<ArgumentException>(() => AttackFigures.SaveExampleGrid(Path.Combine(folder, "x.png"), [row], Mnist));
        Assert.Contains("rows[0].VectorField[5]", error.Message);
    }

    [Theory]
    [InlineData(double.NaN)]
    [InlineData(-0.5)]
    public void ExampleGridRejectsInvalidTNorm(double tNorm)
    {
        ExampleRow row = Example(Mnist, 1f, 0f) with { TNorm = tNorm };

        var error = Assert.Throws<ArgumentException>(() => AttackFigures.SaveExampleGrid(Path.Combine(folder, "x.png"), [row], Mnist));
        Assert.Contains("rows[0].TNorm", error.Message);
    }

    [Theory]
    [InlineData(2, 28, 28, 0f, 1f)]
    [InlineData(1, 0, 28, 0f, 1f)]
    [InlineData(1, 28, 28, 1f, 1f)]
    [InlineData(1, 28, 28, 0f, float.PositiveInfinity)]
    public void ExampleGridRejectsUnsupportedLayouts(int channels, int height, int width, float min, float max)
    {
        var layout = new ImageDisplay(new ImageShape(channels, height, width), min, max);

        var error = Assert.Throws<ArgumentException>(() => AttackFigures.SaveExampleGrid(Path.Combine(folder, "x.png"), [Example(Mnist, 1f, 0f)], layout));
        Assert.Equal("display", error.ParamName);
    }

    [Fact]
    public void TNormHistogramIsPngOfDocumentedSize()
    {
        string path = Path.Combine(folder, "sub", "tnorm.png");
        var random = new Random(7);
        double[] norms = Enumerable.Range(0, 200).Select(_ => 0.2 + 4 * random.NextDouble() * random.NextDouble()).ToArray();

        AttackFigures.SaveTNormHistogram(path, norms);

        Assert.Equal((AttackFigures.HistogramWidth, AttackFigures.HistogramHeight), PngHeader.ReadSize(path));
        Assert.Equal((800, 500), PngHeader.ReadSize(path));
    }

    [Fact]
    public void TNormHistogramLeavesOutNaNNormsOfFailedAttacks()
    {
        Assert.Equal([0.5, 2.0, 3.5], AttackFigures.FiniteNorms([0.5, double.NaN, 2.0, double.PositiveInfinity, 3.5]));

        string path = Path.Combine(folder, "with-nan.png");
        AttackFigures.SaveTNormHistogram(path, [0.5, double.NaN, 2.0, 3.5], epsilon: 3, title: "");
        Assert.Equal((800, 500), PngHeader.ReadSize(path));
    }

    [Fact]
    public void TNormHistogramRejectsListsWithoutAFiniteNorm()
    {
        Assert.Throws<ArgumentException>(() => AttackFigures.SaveTNormHistogram(Path.Combine(folder, "x.png"), []));
        Assert.Throws<ArgumentException>(() => AttackFigures.SaveTNormHistogram(Path.Combine(folder, "x.png"), [double.NaN, double.NaN]));
        Assert.False(Directory.Exists(folder));
    }

    [Fact]
    public void TNormHistogramRejectsNegativeNorms()
    {
        var error = Assert.Throws<ArgumentException>(() => AttackFigures.SaveTNormHistogram(Path.Combine(folder, "x.png"), [1.0, -0.1]));
        Assert.Contains("tNorms[1]", error.Message);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(-3.0)]
    [InlineData(double.NaN)]
    public void TNormHistogramRejectsNonPositiveEpsilon(double epsilon)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => AttackFigures.SaveTNormHistogram(Path.Combine(folder, "x.png"), [1.0], epsilon));
        Assert.Equal("epsilon", error.ParamName);
    }

    /// <summary>A bright bar on a dark background (an MNIST-like "1") with a constant displacement (dx, dy).</summary>
    private static ExampleRow Example(ImageDisplay layout, float dx, float dy)
    {
        int plane = layout.Shape.Height * layout.Shape.Width;
        float low = layout.DisplayMin, high = layout.DisplayMax;
        float[] original = new float[layout.Shape.Size];
        float[] deformed = new float[layout.Shape.Size];
        for (int c = 0; c < layout.Shape.Channels; c++)
        {
            for (int y = 0; y < layout.Shape.Height; y++)
            {
                for (int x = 0; x < layout.Shape.Width; x++)
                {
                    bool inBar = y >= layout.Shape.Height / 5 && y < layout.Shape.Height * 4 / 5 && x >= layout.Shape.Width / 2 - 2 && x < layout.Shape.Width / 2 + 2;
                    bool inShiftedBar = y >= layout.Shape.Height / 5 && y < layout.Shape.Height * 4 / 5 && x + dx >= layout.Shape.Width / 2 - 2 && x + dx < layout.Shape.Width / 2 + 2;
                    original[c * plane + y * layout.Shape.Width + x] = inBar ? high : low;
                    deformed[c * plane + y * layout.Shape.Width + x] = inShiftedBar ? high : low;
                }
            }
        }

        float[] field = new float[layout.Shape.FieldSize];
        Array.Fill(field, dx, 0, plane);
        Array.Fill(field, dy, plane, plane);
        return new ExampleRow(original, deformed, field, "1", "7", Math.Sqrt(dx * dx + dy * dy));
    }
}
