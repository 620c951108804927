using Adef.MLNet.Evaluation;

namespace Adef.MLNet.Tests.Evaluation;

public sealed class SuccessCurveFigureTests : IDisposable
{
    private readonly string folder = Path.Combine(Path.GetTempPath(), "adef-curve-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(folder))
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void CurveIsPngOfDocumentedSize()
    {
        string path = Path.Combine(folder, "sub", "curve.png");

        AttackFigures.SaveSuccessCurve(path, [(0, 0), (1, 0.25), (2, 0.5), (4, 0.75)], "‖τ‖_T (pixels)", epsilon: 3, title: "t");

        Assert.Equal((AttackFigures.SuccessCurveWidth, AttackFigures.SuccessCurveHeight), PngHeader.ReadSize(path));
        Assert.Equal((800, 500), PngHeader.ReadSize(path));
    }

    [Fact]
    public void AllZeroCurveOfAnAttackThatNeverSucceededIsDrawn()
    {
        string path = Path.Combine(folder, "zero.png");

        AttackFigures.SaveSuccessCurve(path, [(0, 0), (0, 0)], "pixel ℓ2");

        Assert.Equal((800, 500), PngHeader.ReadSize(path));
    }

    [Theory]
    [InlineData(new[] { 0.0 }, new[] { 0.0 }, "at least two points")]
    [InlineData(new[] { 0.0, 2.0, 1.0 }, new[] { 0.0, 0.5, 0.6 }, "curve[2].Epsilon")]
    [InlineData(new[] { -1.0, 1.0 }, new[] { 0.0, 0.5 }, "curve[0].Epsilon")]
    [InlineData(new[] { 0.0, double.PositiveInfinity }, new[] { 0.0, 0.5 }, "curve[1].Epsilon")]
    [InlineData(new[] { 0.0, 1.0 }, new[] { 0.0, 1.5 }, "curve[1].Rate")]
    [InlineData(new[] { 0.0, 1.0 }, new[] { double.NaN, double.NaN }, "curve[0].Rate")]
    public void BadCurvesAreRefusedWithTheOffendingPoint(double[] epsilons, double[] rates, string expected)
    {
        (double, double)[] curve = epsilons.Zip(rates).ToArray();

        var error = Assert.Throws<ArgumentException>(() => AttackFigures.SaveSuccessCurve(Path.Combine(folder, "x.png"), curve, "norm"));

        Assert.Equal("curve", error.ParamName);
        Assert.Contains(expected, error.Message);
        Assert.False(Directory.Exists(folder));
    }

    [Fact]
    public void BadEpsilonAndAxisTitleAreRefused()
    {
        (double, double)[] curve = [(0, 0), (1, 1)];
        Assert.Equal("epsilon", Assert.Throws<ArgumentOutOfRangeException>(
            () => AttackFigures.SaveSuccessCurve(Path.Combine(folder, "x.png"), curve, "norm", epsilon: 0)).ParamName);
        Assert.Throws<ArgumentException>(() => AttackFigures.SaveSuccessCurve(Path.Combine(folder, "x.png"), curve, " "));
        Assert.Throws<ArgumentNullException>(() => AttackFigures.SaveSuccessCurve(Path.Combine(folder, "x.png"), null!, "norm"));
    }
}
