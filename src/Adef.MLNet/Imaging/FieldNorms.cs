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

    /// <summary>Computes <see cref="TNorm"/> of each field of a batch in parallel.</summary>
    /// <param name="fields">N×2×H×W.</param>
    /// <param name="count">N (may be 0).</param>
    /// <param name="height">H.</param>
    /// <param name="width">W.</param>
    /// <param name="destination">N norms.</param>
    /// <exception cref="ArgumentOutOfRangeException">A dimension is not positive, or <paramref name="count"/> is negative.</exception>
    /// <exception cref="ArgumentException">A buffer's length does not match the shape.</exception>
    public static void TNormBatch(ReadOnlyMemory<float> fields, int count, int height, int width, Memory<double> destination)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        Shape.RequireLength(fields.Length, 2L * count * height * width, "count × 2 × height × width", nameof(fields));
        Shape.RequireLength(destination.Length, count, "count", nameof(destination));

        int n = 2 * height * width;
        Parallel.For(0, count, i => destination.Span[i] = TNorm(fields.Span.Slice(i * n, n), height, width));
    }

    /// <summary>Computes <see cref="L2"/> of each of <paramref name="count"/> equal slices of <paramref name="values"/> in parallel.</summary>
    /// <param name="values">N images or fields, back to back.</param>
    /// <param name="count">N (may be 0); must divide the length of <paramref name="values"/>.</param>
    /// <param name="destination">N norms.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="count"/> is negative.</exception>
    /// <exception cref="ArgumentException">A buffer's length does not match <paramref name="count"/>.</exception>
    public static void L2Batch(ReadOnlyMemory<float> values, int count, Memory<double> destination) =>
        PerImage(values, count, destination, L2);

    /// <summary>Computes <see cref="LInf"/> of each of <paramref name="count"/> equal slices of <paramref name="values"/> in parallel.</summary>
    /// <param name="values">N images or fields, back to back.</param>
    /// <param name="count">N (may be 0); must divide the length of <paramref name="values"/>.</param>
    /// <param name="destination">N norms.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="count"/> is negative.</exception>
    /// <exception cref="ArgumentException">A buffer's length does not match <paramref name="count"/>.</exception>
    public static void LInfBatch(ReadOnlyMemory<float> values, int count, Memory<double> destination) =>
        PerImage(values, count, destination, LInf);

    /// <summary>Computes <see cref="DifferenceL2"/> for each of <paramref name="count"/> pairs of images in parallel.</summary>
    /// <param name="a">N changed images, back to back.</param>
    /// <param name="b">N reference images, as long as <paramref name="a"/>.</param>
    /// <param name="count">N (may be 0); must divide the length of <paramref name="a"/>.</param>
    /// <param name="destination">N norms.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="count"/> is negative.</exception>
    /// <exception cref="ArgumentException">A buffer's length does not match.</exception>
    public static void DifferenceL2Batch(ReadOnlyMemory<float> a, ReadOnlyMemory<float> b, int count, Memory<double> destination) =>
        PerImagePair(a, b, count, destination, DifferenceL2);

    /// <summary>Computes <see cref="DifferenceLInf"/> for each of <paramref name="count"/> pairs of images in parallel.</summary>
    /// <param name="a">N changed images, back to back.</param>
    /// <param name="b">N reference images, as long as <paramref name="a"/>.</param>
    /// <param name="count">N (may be 0); must divide the length of <paramref name="a"/>.</param>
    /// <param name="destination">N norms.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="count"/> is negative.</exception>
    /// <exception cref="ArgumentException">A buffer's length does not match.</exception>
    public static void DifferenceLInfBatch(ReadOnlyMemory<float> a, ReadOnlyMemory<float> b, int count, Memory<double> destination) =>
        PerImagePair(a, b, count, destination, DifferenceLInf);

    private delegate double Norm(ReadOnlySpan<float> values);

    private delegate double DifferenceNorm(ReadOnlySpan<float> a, ReadOnlySpan<float> b);

    private static void PerImage(ReadOnlyMemory<float> values, int count, Memory<double> destination, Norm norm)
    {
        int n = Shape.PerImageLength(values.Length, count, nameof(values));
        Shape.RequireLength(destination.Length, count, "count", nameof(destination));
        Parallel.For(0, count, i => destination.Span[i] = norm(values.Span.Slice(i * n, n)));
    }

    private static void PerImagePair(ReadOnlyMemory<float> a, ReadOnlyMemory<float> b, int count,
        Memory<double> destination, DifferenceNorm norm)
    {
        int n = Shape.PerImageLength(a.Length, count, nameof(a));
        Shape.RequireLength(b.Length, a.Length, "length of a", nameof(b));
        Shape.RequireLength(destination.Length, count, "count", nameof(destination));
        Parallel.For(0, count, i => destination.Span[i] = norm(a.Span.Slice(i * n, n), b.Span.Slice(i * n, n)));
    }
}
