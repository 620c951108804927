using System.Globalization;

namespace Adef.MLNet.Data;

/// <summary>
/// How 8-bit pixels become a classifier's channel-planar float input, and back. Channel c of a pixel is
/// <c>value = (byte · Scale/255 − Mean[c]) / Std[c]</c>, where byte is the pixel's red, green or blue byte taken in
/// <see cref="Order"/> (or, for <see cref="ChannelOrder.Gray"/>, its <see cref="Luma"/>); the way back is
/// <c>byte = clamp(round((value · Std[c] + Mean[c]) · 255/Scale), 0, 255)</c>, rounding halves away from zero.
/// </summary>
/// <remarks>
/// Scale 1 with mean 0 and std 1 gives values in [0, 1]; torchvision's ImageNet models take Scale 1 with the mean
/// (0.485, 0.456, 0.406) and std (0.229, 0.224, 0.225) in RGB order, Caffe's take Scale 255 with a per-channel mean
/// and std 1 in BGR order. The arithmetic is in double precision, rounded to float once at the end.
/// </remarks>
public sealed record ImagePreprocessing
{
    private readonly double[] _mean;
    private readonly double[] _std;

    /// <summary>Creates the preprocessing and checks its values.</summary>
    /// <param name="order">The classifier's channel order; <see cref="ChannelOrder.Gray"/> means one channel, the others three.</param>
    /// <param name="scale">The value byte 255 has before mean and std are applied: 1 for [0, 1], 255 for [0, 255].
    /// Finite and non-zero; a negative scale inverts the intensities.</param>
    /// <param name="mean">One value per channel in the classifier's channel order, or <see langword="null"/> for 0.</param>
    /// <param name="std">One positive value per channel in the classifier's channel order, or <see langword="null"/> for 1.</param>
    /// <exception cref="ArgumentException">A value is out of range or <paramref name="mean"/> or <paramref name="std"/> does not
    /// hold one value per channel; the message names the parameter and the value.</exception>
    public ImagePreprocessing(ChannelOrder order, double scale = 1, IReadOnlyList<double>? mean = null, IReadOnlyList<double>? std = null)
    {
        if (!Enum.IsDefined(order))
            throw new ArgumentOutOfRangeException(nameof(order), order, "Unknown channel order.");
        if (!double.IsFinite(scale) || scale == 0)
            throw new ArgumentOutOfRangeException(nameof(scale), scale, "The scale must be finite and non-zero (1 or 255 in most models).");
        int channels = order == ChannelOrder.Gray ? 1 : 3;
        _mean = mean?.ToArray() ?? new double[channels];
        _std = std?.ToArray() ?? Enumerable.Repeat(1.0, channels).ToArray();
        if (_mean.Length != channels)
            throw new ArgumentException($"The mean has {_mean.Length} value(s), but {order} input has {channels} channel(s).", nameof(mean));
        if (_std.Length != channels)
            throw new ArgumentException($"The std has {_std.Length} value(s), but {order} input has {channels} channel(s).", nameof(std));
        int badMean = Array.FindIndex(_mean, m => !double.IsFinite(m));
        if (badMean >= 0)
            throw new ArgumentOutOfRangeException(nameof(mean), _mean[badMean], $"Mean[{badMean}] must be finite.");
        int badStd = Array.FindIndex(_std, s => !double.IsFinite(s) || !(s > 0));
        if (badStd >= 0)
            throw new ArgumentOutOfRangeException(nameof(std), _std[badStd], $"Std[{badStd}] must be positive and finite.");
        Order = order;
        Scale = scale;
    }

    /// <summary>The classifier's channel order.</summary>
    public ChannelOrder Order { get; }

    /// <summary>The value byte 255 has before <see cref="Mean"/> and <see cref="Std"/> are applied.</summary>
    public double Scale { get; }

    /// <summary>The per-channel mean, in the classifier's channel order.</summary>
    public IReadOnlyList<double> Mean => _mean;

    /// <summary>The per-channel standard deviation, in the classifier's channel order.</summary>
    public IReadOnlyList<double> Std => _std;

    /// <summary>The number of channels: 1 for <see cref="ChannelOrder.Gray"/>, otherwise 3.</summary>
    public int Channels => Order == ChannelOrder.Gray ? 1 : 3;

    /// <summary>
    /// The grey level of a colour, ITU-R BT.601 luma 0.299·R + 0.587·G + 0.114·B rounded to a whole level (halves to
    /// even); a grey pixel (R = G = B) keeps its level, so grey images survive <see cref="Normalize"/> and
    /// <see cref="Denormalize(ReadOnlySpan{float})"/> unchanged.
    /// </summary>
    public static byte Luma(byte red, byte green, byte blue) => (byte)Math.Round(0.299 * red + 0.587 * green + 0.114 * blue);

    /// <summary>Normalises an image of 8-bit pixels (four bytes each) into C planes of floats, C = <see cref="Channels"/>.</summary>
    /// <param name="pixels">The image's pixels, row-major, four bytes each; the alpha byte is ignored.</param>
    /// <param name="planar">Receives C·(pixel count) values, plane after plane.</param>
    /// <param name="layout">The byte order of <paramref name="pixels"/>.</param>
    /// <exception cref="ArgumentException">The lengths do not fit each other or <paramref name="layout"/> is unknown.</exception>
    public void Normalize(ReadOnlySpan<byte> pixels, Span<float> planar, PixelLayout layout = PixelLayout.Rgba)
    {
        if (!Enum.IsDefined(layout))
            throw new ArgumentOutOfRangeException(nameof(layout), layout, "Unknown pixel layout.");
        if (pixels.Length % 4 != 0)
            throw new ArgumentException($"Expected four bytes per pixel, got {pixels.Length} bytes.", nameof(pixels));
        int plane = pixels.Length / 4;
        if (planar.Length != Channels * plane)
            throw new ArgumentException($"Expected {Channels * plane} floats for {plane} pixels, got {planar.Length}.", nameof(planar));
        int red = ByteOffset(0, layout), green = ByteOffset(1, layout), blue = ByteOffset(2, layout);
        double factor = Scale / 255.0;
        for (int c = 0; c < Channels; c++)
        {
            double mean = _mean[c], std = _std[c];
            int source = ByteOffset(Colour(c), layout);
            Span<float> output = planar.Slice(c * plane, plane);
            for (int p = 0; p < plane; p++)
            {
                ReadOnlySpan<byte> pixel = pixels.Slice(4 * p, 4);
                double value = Order == ChannelOrder.Gray ? Luma(pixel[red], pixel[green], pixel[blue]) : pixel[source];
                output[p] = (float)((value * factor - mean) / std);
            }
        }
    }

    /// <summary>Normalises grey levels, one byte per pixel (idx files), into one plane; <see cref="Order"/> must be <see cref="ChannelOrder.Gray"/>.</summary>
    /// <exception cref="InvalidOperationException">The preprocessing has three channels.</exception>
    /// <exception cref="ArgumentException">The lengths differ.</exception>
    public void NormalizeGray(ReadOnlySpan<byte> levels, Span<float> plane)
    {
        if (Order != ChannelOrder.Gray)
            throw new InvalidOperationException($"Grey levels fill one channel; this preprocessing ({this}) has three.");
        if (plane.Length != levels.Length)
            throw new ArgumentException($"Expected {levels.Length} floats for {levels.Length} grey levels, got {plane.Length}.", nameof(plane));
        double factor = Scale / 255.0, mean = _mean[0], std = _std[0];
        for (int p = 0; p < levels.Length; p++) plane[p] = (float)((levels[p] * factor - mean) / std);
    }

    /// <summary>Turns C planes of floats back into opaque RGBA bytes (a grey channel goes to red, green and blue).</summary>
    /// <exception cref="ArgumentException">The length of <paramref name="planar"/> is not a multiple of <see cref="Channels"/>.</exception>
    public byte[] Denormalize(ReadOnlySpan<float> planar)
    {
        var rgba = new byte[4 * PlaneLength(planar)];
        Denormalize(planar, rgba);
        return rgba;
    }

    /// <summary>Turns C planes of floats back into opaque RGBA bytes in <paramref name="rgba"/> (four bytes per pixel).</summary>
    /// <exception cref="ArgumentException">The lengths do not fit each other.</exception>
    public void Denormalize(ReadOnlySpan<float> planar, Span<byte> rgba)
    {
        int plane = PlaneLength(planar);
        if (rgba.Length != 4 * plane)
            throw new ArgumentException($"Expected {4 * plane} RGBA bytes for {plane} pixels, got {rgba.Length}.", nameof(rgba));
        for (int p = 0; p < plane; p++) rgba[4 * p + 3] = 255;
        double factor = 255.0 / Scale;
        for (int c = 0; c < Channels; c++)
        {
            double mean = _mean[c], std = _std[c];
            int target = Colour(c);
            for (int p = 0; p < plane; p++)
            {
                byte value = ToByte((planar[c * plane + p] * std + mean) * factor);
                if (Order == ChannelOrder.Gray)
                    rgba[4 * p] = rgba[4 * p + 1] = rgba[4 * p + 2] = value;
                else
                    rgba[4 * p + target] = value;
            }
        }
    }

    /// <summary>
    /// Maps C planes of floats to [0, 1] for display (figures, reports): byte/255 before rounding, clamped, with the
    /// channels in RGB order (or one grey plane).
    /// </summary>
    /// <exception cref="ArgumentException">The length of <paramref name="planar"/> is not a multiple of <see cref="Channels"/>.</exception>
    public float[] ToDisplay(ReadOnlySpan<float> planar)
    {
        int plane = PlaneLength(planar);
        var display = new float[Channels * plane];
        for (int c = 0; c < Channels; c++)
        {
            double mean = _mean[c], std = _std[c];
            int target = Colour(c);
            for (int p = 0; p < plane; p++)
                display[target * plane + p] = (float)Math.Clamp((planar[c * plane + p] * std + mean) / Scale, 0, 1);
        }
        return display;
    }

    /// <summary>
    /// The valid input values of channel <paramref name="channel"/>: the values of bytes 0 and 255, ordered. Every image
    /// made of 8-bit pixels lies within these bounds, channel by channel; DeepFool and PGD clip to them by default.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="channel"/> is not in [0, <see cref="Channels"/>).</exception>
    public (float Min, float Max) ChannelBounds(int channel)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(channel);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(channel, Channels);
        float zero = (float)((0 - _mean[channel]) / _std[channel]), full = (float)((Scale - _mean[channel]) / _std[channel]);
        return zero <= full ? (zero, full) : (full, zero);
    }

    /// <summary>
    /// How many 8-bit levels one unit of channel <paramref name="channel"/>'s input value spans: 255·Std[c]/|Scale|. A
    /// perturbation of the model's input times this factor is in pixel units (0–255), comparable across models.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="channel"/> is not in [0, <see cref="Channels"/>).</exception>
    public double LevelsPerUnit(int channel)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(channel);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(channel, Channels);
        return 255.0 * _std[channel] / Math.Abs(Scale);
    }

    /// <summary>Throws unless this preprocessing fills the <paramref name="channels"/> channels that <paramref name="model"/> takes.</summary>
    /// <exception cref="ArgumentException">The channel counts differ; the message names both.</exception>
    internal void RequireChannels(int channels, string model, string parameterName)
    {
        if (Channels != channels)
            throw new ArgumentException($"The input preprocessing ({this}) fills {Channels} channel(s), but {model} takes {channels}.", parameterName);
    }

    /// <summary>
    /// The preprocessing of ML.NET's convention <c>value = (pixel − offset) × scale</c> (<c>ExtractPixels</c>):
    /// Scale = 255·scale, Mean = offset·scale, Std = 1, RGB for three channels and grey for one.
    /// </summary>
    internal static ImagePreprocessing FromOffsetAndScale(float offset, float scale, int channels)
    {
        if (channels is not (1 or 3))
            throw new ArgumentOutOfRangeException(nameof(channels), channels, "An image fills 1 (grey) or 3 (RGB) channels.");
        double mean = (double)offset * scale;
        return new ImagePreprocessing(channels == 1 ? ChannelOrder.Gray : ChannelOrder.Rgb, 255.0 * scale,
            Enumerable.Repeat(mean, channels).ToArray());
    }

    /// <summary>True when both have the same order, scale, mean and std.</summary>
    public bool Equals(ImagePreprocessing? other) =>
        other is not null && Order == other.Order && Scale.Equals(other.Scale) && _mean.SequenceEqual(other._mean) && _std.SequenceEqual(other._std);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Order, Scale, _mean.Length > 0 ? _mean[0] : 0, _std.Length > 0 ? _std[0] : 0);

    /// <summary>For example "Bgr, scale 255, mean [104, 117, 123], std [1, 1, 1]".</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{Order}, scale {Scale}, mean [{List(_mean)}], std [{List(_std)}]");

    private static string List(double[] values) => string.Join(", ", values.Select(v => v.ToString(CultureInfo.InvariantCulture)));

    /// <summary>The colour (0 = red, 1 = green, 2 = blue) of channel <paramref name="c"/>.</summary>
    private int Colour(int c) => Order == ChannelOrder.Bgr ? 2 - c : c;

    /// <summary>Where colour <paramref name="colour"/> (0 = red, 1 = green, 2 = blue) sits in a pixel of <paramref name="layout"/>.</summary>
    private static int ByteOffset(int colour, PixelLayout layout) => layout == PixelLayout.Rgba ? colour : 2 - colour;

    private int PlaneLength(ReadOnlySpan<float> planar)
    {
        if (planar.Length % Channels != 0)
            throw new ArgumentException($"{planar.Length} values do not make {Channels} equal planes.", nameof(planar));
        return planar.Length / Channels;
    }

    private static byte ToByte(double value) =>
        double.IsNaN(value) ? (byte)0 : (byte)Math.Clamp(Math.Round(value, MidpointRounding.AwayFromZero), 0, 255);
}
