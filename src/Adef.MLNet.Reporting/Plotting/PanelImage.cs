using OxyPlot;
using SkiaSharp;

namespace Adef.MLNet.Evaluation.Plotting;

/// <summary>Turns C×H×W float images into the PNG-backed <see cref="OxyImage"/>s that image panels show.</summary>
internal static class PanelImage
{
    /// <summary>Maps a C×H×W image to 8-bit RGB through the display's display range.</summary>
    public static OxyImage FromPixels(float[] pixels, ImageDisplay display)
    {
        int plane = display.Shape.Height * display.Shape.Width;
        double scale = 1.0 / ((double)display.DisplayMax - display.DisplayMin);
        var rgba = new uint[plane];
        Span<byte> rgb = stackalloc byte[3];
        for (int p = 0; p < plane; p++)
        {
            for (int c = 0; c < 3; c++)
            {
                int channel = display.Shape.Channels == 1 ? 0 : c;
                double v = Math.Clamp((pixels[channel * plane + p] - display.DisplayMin) * scale, 0, 1);
                rgb[c] = (byte)Math.Round(255 * v);
            }

            rgba[p] = Pack(rgb[0], rgb[1], rgb[2]);
        }

        return Encode(rgba, display.Shape.Width, display.Shape.Height);
    }

    /// <summary>Colour of the most negative difference (ColorBrewer RdBu blue).</summary>
    private static readonly (byte R, byte G, byte B) Negative = (0x21, 0x66, 0xAC);

    /// <summary>Colour of the most positive difference (ColorBrewer RdBu red).</summary>
    private static readonly (byte R, byte G, byte B) Positive = (0xB2, 0x18, 0x2B);

    /// <summary>
    /// The difference <paramref name="deformed"/> − <paramref name="original"/>, averaged over channels, in a diverging
    /// colour map symmetric about 0: white is no change, red brighter, blue darker, full colour at ±<paramref name="range"/>.
    /// </summary>
    /// <param name="original">The clean image, C×H×W.</param>
    /// <param name="deformed">The deformed image, same display.</param>
    /// <param name="display">Shape of both images.</param>
    /// <param name="range">The largest absolute (channel-averaged) difference of the image, the colour map's end;
    /// 0 when the images are equal (then every pixel is white).</param>
    public static OxyImage FromDifference(float[] original, float[] deformed, ImageDisplay display, out double range)
    {
        double[] difference = Difference(original, deformed, display);
        range = 0;
        foreach (double d in difference)
        {
            range = Math.Max(range, Math.Abs(d));
        }

        var rgba = new uint[difference.Length];
        for (int p = 0; p < difference.Length; p++)
        {
            double t = range == 0 ? 0 : Math.Clamp(difference[p] / range, -1, 1);
            (byte R, byte G, byte B) end = t < 0 ? Negative : Positive;
            double w = Math.Abs(t);
            rgba[p] = Pack(Blend(end.R, w), Blend(end.G, w), Blend(end.B, w));
        }

        return Encode(rgba, display.Shape.Width, display.Shape.Height);
    }

    /// <summary>
    /// The displacement magnitude |τ(p)| in pixels of a 2×H×W field, through <paramref name="palette"/> from its first colour
    /// at 0 to its last at <paramref name="largest"/>, the field's largest magnitude (0 for a zero field, then every pixel has
    /// the first colour).
    /// </summary>
    public static OxyImage FromFieldMagnitude(float[] field, ImageDisplay display, OxyPalette palette, out double largest)
    {
        int plane = display.Shape.Height * display.Shape.Width;
        var magnitude = new double[plane];
        largest = 0;
        for (int p = 0; p < plane; p++)
        {
            magnitude[p] = Math.Sqrt((double)field[p] * field[p] + (double)field[plane + p] * field[plane + p]);
            largest = Math.Max(largest, magnitude[p]);
        }

        int last = palette.Colors.Count - 1;
        var rgba = new uint[plane];
        for (int p = 0; p < plane; p++)
        {
            OxyColor c = palette.Colors[largest == 0 ? 0 : (int)Math.Round(last * magnitude[p] / largest)];
            rgba[p] = Pack(c.R, c.G, c.B);
        }

        return Encode(rgba, display.Shape.Width, display.Shape.Height);
    }

    /// <summary>Per pixel, the mean over channels of deformed − original.</summary>
    internal static double[] Difference(float[] original, float[] deformed, ImageDisplay display)
    {
        int plane = display.Shape.Height * display.Shape.Width;
        var difference = new double[plane];
        for (int c = 0; c < display.Shape.Channels; c++)
        {
            for (int p = 0; p < plane; p++)
            {
                difference[p] += ((double)deformed[c * plane + p] - original[c * plane + p]) / display.Shape.Channels;
            }
        }

        return difference;
    }

    /// <summary>White blended towards <paramref name="end"/> by <paramref name="weight"/> ∈ [0, 1].</summary>
    private static byte Blend(byte end, double weight) => (byte)Math.Round(255 + weight * (end - 255));

    /// <summary>Packs an opaque colour as the little-endian RGBA word SkiaSharp's Rgba8888 layout expects.</summary>
    public static uint Pack(byte r, byte g, byte b) => r | ((uint)g << 8) | ((uint)b << 16) | 0xFF000000u;

    /// <summary>Encodes row-major opaque RGBA pixels (see <see cref="Pack"/>) as a PNG image.</summary>
    public static unsafe OxyImage Encode(uint[] rgba, int width, int height)
    {
        var info = new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Opaque);
        fixed (uint* pixels = rgba)
        {
            using var pixmap = new SKPixmap(info, (IntPtr)pixels, info.RowBytes);
            using SKData data = pixmap.Encode(SKEncodedImageFormat.Png, 100)
                ?? throw new InvalidOperationException($"SkiaSharp could not encode a {width}×{height} panel image.");
            return new OxyImage(data.ToArray());
        }
    }
}
