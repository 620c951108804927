using System.Globalization;

using Adef.Experiments;

namespace Adef.Samples;

/// <summary>Channel order of the model input.</summary>
internal enum ChannelOrder
{
    Rgb,
    Bgr,
    Gray,
}

/// <summary>
/// Maps 8-bit RGBA pixels to a model's planar float input and back:
/// value = (byte · scale/255 − mean[c]) / std[c], in the given channel order; and
/// byte = clamp(round((value · std[c] + mean[c]) · 255/scale)).
/// </summary>
internal sealed record Preprocessing(int Width, int Height, double Scale, double[] Mean, double[] Std, ChannelOrder Order)
{
    public int Channels => Order == ChannelOrder.Gray ? 1 : 3;

    public int ImageLength => Channels * Height * Width;

    /// <summary>Source channel (0 = R, 1 = G, 2 = B) of model channel <paramref name="c"/>.</summary>
    private int SourceChannel(int c) => Order == ChannelOrder.Bgr ? 2 - c : c;

    private static double Gray(byte r, byte g, byte b) => Math.Round(0.299 * r + 0.587 * g + 0.114 * b);

    /// <summary>Normalises one Height×Width RGBA image (4 bytes per pixel) into C×H×W floats.</summary>
    public void Normalize(ReadOnlySpan<byte> rgba, Span<float> planar)
    {
        int plane = Width * Height;
        if (rgba.Length != 4 * plane) throw new ArgumentException($"Expected {4 * plane} RGBA bytes, got {rgba.Length}.", nameof(rgba));
        if (planar.Length != Channels * plane) throw new ArgumentException($"Expected {Channels * plane} floats, got {planar.Length}.", nameof(planar));
        for (int c = 0; c < Channels; c++)
        {
            double factor = Scale / 255.0, mean = Mean[c], std = Std[c];
            int source = SourceChannel(c);
            for (int p = 0; p < plane; p++)
            {
                double value = Order == ChannelOrder.Gray
                    ? Gray(rgba[4 * p], rgba[4 * p + 1], rgba[4 * p + 2])
                    : rgba[4 * p + source];
                planar[c * plane + p] = (float)((value * factor - mean) / std);
            }
        }
    }

    /// <summary>De-normalises C×H×W floats back to opaque RGBA bytes (grey is written to all three colours).</summary>
    public byte[] Denormalize(ReadOnlySpan<float> planar)
    {
        int plane = Width * Height;
        if (planar.Length != Channels * plane) throw new ArgumentException($"Expected {Channels * plane} floats, got {planar.Length}.", nameof(planar));
        var rgba = new byte[4 * plane];
        for (int p = 0; p < plane; p++) rgba[4 * p + 3] = 255;
        for (int c = 0; c < Channels; c++)
        {
            double mean = Mean[c], std = Std[c], factor = 255.0 / Scale;
            int source = SourceChannel(c);
            for (int p = 0; p < plane; p++)
            {
                byte value = ToByte((planar[c * plane + p] * std + mean) * factor);
                if (Order == ChannelOrder.Gray)
                {
                    rgba[4 * p] = rgba[4 * p + 1] = rgba[4 * p + 2] = value;
                }
                else
                {
                    rgba[4 * p + source] = value;
                }
            }
        }
        return rgba;
    }

    /// <summary>De-normalises to [0, 1] for display, channels in RGB order (or one grey plane).</summary>
    public float[] ToDisplay(ReadOnlySpan<float> planar)
    {
        int plane = Width * Height;
        var display = new float[Channels * plane];
        for (int c = 0; c < Channels; c++)
        {
            double mean = Mean[c], std = Std[c];
            int target = SourceChannel(c);
            for (int p = 0; p < plane; p++)
                display[target * plane + p] = (float)Math.Clamp((planar[c * plane + p] * std + mean) / Scale, 0, 1);
        }
        return display;
    }

    private static byte ToByte(double value) =>
        double.IsNaN(value) ? (byte)0 : (byte)Math.Clamp(Math.Round(value, MidpointRounding.AwayFromZero), 0, 255);

    /// <summary>Builds the preprocessing from the command-line strings; null strings take the defaults for the model.</summary>
    /// <exception cref="UsageException">A value is malformed or does not fit the model.</exception>
    public static Preprocessing Parse(string? size, double scale, string? mean, string? std, string? channels,
        int modelChannels, int modelHeight, int modelWidth)
    {
        if (!(scale > 0) || double.IsInfinity(scale)) throw new UsageException($"--scale must be a positive number (1 or 255), not {scale}.");
        int width = modelWidth, height = modelHeight;
        if (size is not null)
        {
            double[] wh = ParseList("--size", size);
            if (wh.Length != 2 || wh.Any(v => v < 1 || v != Math.Floor(v)))
                throw new UsageException($"--size must be W,H with positive integers, not '{size}'.");
            (width, height) = ((int)wh[0], (int)wh[1]);
            if (width != modelWidth || height != modelHeight)
                throw new UsageException($"--size {width},{height} does not match the model's fixed input of {modelWidth}×{modelHeight} (W×H).");
        }
        ChannelOrder order = channels?.Trim().ToLowerInvariant() switch
        {
            null => modelChannels == 1 ? ChannelOrder.Gray : ChannelOrder.Rgb,
            "rgb" => ChannelOrder.Rgb,
            "bgr" => ChannelOrder.Bgr,
            "gray" or "grey" => ChannelOrder.Gray,
            _ => throw new UsageException($"--channels must be rgb, bgr or gray, not '{channels}'."),
        };
        int count = order == ChannelOrder.Gray ? 1 : 3;
        if (count != modelChannels)
            throw new UsageException($"--channels {order.ToString().ToLowerInvariant()} gives {count} channel(s), but the model takes {modelChannels}.");
        double[] means = mean is null ? new double[count] : ParseList("--mean", mean);
        double[] stds = std is null ? Enumerable.Repeat(1.0, count).ToArray() : ParseList("--std", std);
        if (means.Length != count)
            throw new UsageException($"--mean has {means.Length} value(s) but the input has {count} channel(s).");
        if (stds.Length != count)
            throw new UsageException($"--std has {stds.Length} value(s) but the input has {count} channel(s).");
        if (stds.Any(s => !(s > 0) || double.IsInfinity(s)))
            throw new UsageException("--std values must be positive and finite.");
        return new Preprocessing(width, height, scale, means, stds, order);
    }

    public static double[] ParseList(string option, string text)
    {
        string[] parts = text.Split(',', StringSplitOptions.TrimEntries);
        var values = new double[parts.Length];
        for (int i = 0; i < parts.Length; i++)
            if (!double.TryParse(parts[i], NumberStyles.Float, CultureInfo.InvariantCulture, out values[i]) || !double.IsFinite(values[i]))
                throw new UsageException($"{option}: '{parts[i]}' is not a number (expected a comma-separated list such as 1,2,3).");
        return values;
    }
}

/// <summary>A command-line mistake or unusable input: printed without a stack trace, exit code 2.</summary>
internal sealed class UsageException(string message) : Exception(message);
