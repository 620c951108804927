using Adef.MLNet.Imaging;

namespace Adef.MLNet.Tests.Imaging;

public class FieldNormsTests
{
    [Fact]
    public void TNormIsLargestDisplacementLength()
    {
        // 1×3 field: displacements (3,4), (0,1), (−1,1) have lengths 5, 1, √2.
        float[] field = [3, 0, -1, 4, 1, 1];

        Assert.Equal(5.0, FieldNorms.TNorm(field, height: 1, width: 3));
        Assert.Equal(Math.Sqrt(2), FieldNorms.TNorm([0, -1, 0, 1], height: 2, width: 1), 12);
    }

    [Fact]
    public void L2IsSquareRootOfSumOfSquares()
    {
        Assert.Equal(13.0, FieldNorms.L2([3, -4, 12]));
        Assert.Equal(0.0, FieldNorms.L2([]));
        // 1e20² overflows float but not the double accumulator.
        Assert.Equal(Math.Sqrt(2) * 1e20, FieldNorms.L2([1e20f, 1e20f]), 1e20 * 1e-6);
    }

    [Fact]
    public void LInfIsLargestMagnitude()
    {
        Assert.Equal(7.5, FieldNorms.LInf([1, -7.5f, 3]));
        Assert.Equal(0.0, FieldNorms.LInf([]));
    }

    [Fact]
    public void DifferenceNormsMeasureChangeAgainstReference()
    {
        float[] changed = [1, 2, 3, 0.5f];
        float[] original = [1, -1, 7, 0.5f];

        Assert.Equal(5.0, FieldNorms.DifferenceL2(changed, original));
        Assert.Equal(4.0, FieldNorms.DifferenceLInf(changed, original));
    }

    [Fact]
    public void LengthMismatchThrowsArgumentExceptionNamingTheParameter()
    {
        var e = Assert.Throws<ArgumentException>("field", () => FieldNorms.TNorm(new float[11], 2, 3));
        Assert.Contains("Expected length 12", e.Message);
        Assert.Contains("got 11", e.Message);
        Assert.Throws<ArgumentException>("b", () => FieldNorms.DifferenceL2(new float[3], new float[4]));
        Assert.Throws<ArgumentException>("b", () => FieldNorms.DifferenceLInf(new float[3], new float[2]));
    }
}
