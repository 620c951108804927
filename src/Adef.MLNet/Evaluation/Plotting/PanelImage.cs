using OxyPlot;
using SkiaSharp;

namespace Adef.MLNet.Evaluation.Plotting;

/// <summary>Turns C×H×W float images into the PNG-backed <see cref="OxyImage"/>s that image panels show.</summary>
internal static class PanelImage
{
    /// <summary>Maps a C×H×W image to 8-bit RGB through the layout's display range; <paramref name="contrast"/> &lt; 1
    /// blends it towards white.</summary>
    public static OxyImage FromPixels(float[] pixels, ImageLayout layout, double contrast)
    {
        int plane = layout.Height * layout.Width;
        double scale = 1.0 / ((double)layout.DisplayMax - layout.DisplayMin);
        var rgba = new uint[plane];
        Span<byte> rgb = stackalloc byte[3];
        for (int p = 0; p < plane; p++)
        {
            for (int c = 0; c < 3; c++)
            {
                int channel = layout.Channels == 1 ? 0 : c;
                double v = Math.Clamp((pixels[channel * plane + p] - layout.DisplayMin) * scale, 0, 1);
                v = 1 - contrast * (1 - v);
                rgb[c] = (byte)Math.Round(255 * v);
            }

            rgba[p] = Pack(rgb[0], rgb[1], rgb[2]);
        }

        return Encode(rgba, layout.Width, layout.Height);
    }

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
