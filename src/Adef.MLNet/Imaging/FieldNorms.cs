using System.Numerics.Tensors;

namespace Adef.MLNet.Imaging;

/// <summary>
/// Sizes of vector fields and of image changes, accumulated in double.
/// </summary>
public static class FieldNorms
{
    /// <summary>
    /// The T-norm of a vector field, <c>‖τ‖_T = max_p sqrt(τx(p)² + τy(p)²)</c>: the largest displacement, in pixels.
    /// </summary>
    /// <param name="field">One field, 2×H×W (plane 0 = x-displacement, plane 1 = y-displacement).</param>
    /// <param name="height">H.</param>
    /// <param name="width">W.</param>
    /// <returns>The T-norm; NaN if the field holds NaN.</returns>
    /// <exception cref="ArgumentOutOfRangeException">A dimension is not positive.</exception>
    /// <exception cref="ArgumentException">The field's length is not 2·H·W.</exception>
    public static double TNorm(ReadOnlySpan<float> field, int height, int width)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        Shape.RequireLength(field.Length, 2L * height * width, "2 × height × width", nameof(field));

        int plane = height * width;
        ReadOnlySpan<float> tauX = field[..plane];
        ReadOnlySpan<float> tauY = field[plane..];
        double maxSquared = 0;
        for (int p = 0; p < plane; p++)
        {
            double x = tauX[p], y = tauY[p];
            maxSquared = Math.Max(maxSquared, x * x + y * y);
        }
        return Math.Sqrt(maxSquared);
    }

    /// <summary>The Euclidean norm of all values, <c>sqrt(Σ v²)</c>; 0 for an empty span.</summary>
    /// <param name="values">A field, an image, or any buffer.</param>
    /// <returns>The ℓ2 norm.</returns>
    public static double L2(ReadOnlySpan<float> values)
    {
        double sum = 0;
        foreach (float v in values)
            sum += (double)v * v;
        return Math.Sqrt(sum);
    }

    /// <summary>The largest magnitude, <c>max |v|</c>; 0 for an empty span.</summary>
    /// <param name="values">A field, an image, or any buffer.</param>
    /// <returns>The ℓ∞ norm; NaN if a value is NaN.</returns>
    public static double LInf(ReadOnlySpan<float> values) =>
        values.IsEmpty ? 0 : Math.Abs(TensorPrimitives.MaxMagnitude(values));

    /// <summary>The Euclidean norm of the change <c>a − b</c>, e.g. a deformed image against the original.</summary>
    /// <param name="a">The changed values.</param>
    /// <param name="b">The reference values, as long as <paramref name="a"/>.</param>
    /// <returns><c>sqrt(Σ (a − b)²)</c>, the differences taken in double.</returns>
    /// <exception cref="ArgumentException">The lengths differ.</exception>
    public static double DifferenceL2(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        Shape.RequireLength(b.Length, a.Length, "length of a", nameof(b));
        double sum = 0;
        for (int i = 0; i < a.Length; i++)
        {
            double d = (double)a[i] - b[i];
            sum += d * d;
        }
        return Math.Sqrt(sum);
    }

    /// <summary>The largest change <c>max |a − b|</c>, e.g. of a deformed image against the original; 0 for empty spans.</summary>
    /// <param name="a">The changed values.</param>
    /// <param name="b">The reference values, as long as <paramref name="a"/>.</param>
    /// <returns>The ℓ∞ norm of the difference, taken in double; NaN if a difference is NaN.</returns>
    /// <exception cref="ArgumentException">The lengths differ.</exception>
    public static double DifferenceLInf(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        Shape.RequireLength(b.Length, a.Length, "length of a", nameof(b));
        double max = 0;
        for (int i = 0; i < a.Length; i++)
            max = Math.Max(max, Math.Abs((double)a[i] - b[i]));
        return max;
    }
}
