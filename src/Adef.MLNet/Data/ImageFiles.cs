using SkiaSharp;

namespace Adef.MLNet.Data;

/// <summary>PNG and JPEG files: listing a folder of them, decoding one at a classifier's size, and saving pixels as PNG.</summary>
public static class ImageFiles
{
    /// <summary>The file extensions listed, compared without case.</summary>
    public static IReadOnlyList<string> Extensions { get; } = [".png", ".jpg", ".jpeg"];

    /// <summary>
    /// The PNG and JPEG files under <paramref name="folder"/> and its subfolders, as paths relative to it with '/'
    /// separators, sorted by ordinal comparison so the order is the same on every system.
    /// </summary>
    /// <exception cref="DataFileException">The folder does not exist.</exception>
    public static string[] List(string folder)
    {
        ArgumentNullException.ThrowIfNull(folder);
        if (!Directory.Exists(folder)) throw new DataFileException($"Image folder '{folder}' does not exist.", folder);
        return Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories)
            .Where(f => Extensions.Contains(Path.GetExtension(f).ToLowerInvariant()))
            .Select(f => Path.GetRelativePath(folder, f).Replace('\\', '/'))
            .Order(StringComparer.Ordinal)
            .ToArray();
    }

    /// <summary>
    /// Decodes a PNG or JPEG file and resizes it to <paramref name="width"/>×<paramref name="height"/> (bilinear from the
    /// nearest mipmap level, <see cref="ResizeSampling"/>), as unpremultiplied RGBA bytes, row-major.
    /// </summary>
    /// <exception cref="DataFileException">The file is missing or cannot be decoded or resized; the message names it.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The width or height is not positive.</exception>
    public static byte[] DecodeResized(string path, int width, int height)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        if (!File.Exists(path)) throw new DataFileException($"Image '{path}' does not exist.", path);
        using SKBitmap? decoded = SKBitmap.Decode(path);
        if (decoded is null || decoded.Width == 0 || decoded.Height == 0)
            throw new DataFileException($"Could not decode '{path}' as an image (PNG or JPEG expected).", path);
        var info = new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        using SKBitmap? resized = decoded.Resize(info, ResizeSampling);
        if (resized is null) throw new DataFileException($"Could not resize '{path}' to {width}×{height}.", path);
        byte[] bytes = resized.GetPixelSpan().ToArray();
        if (bytes.Length != 4 * width * height)
            throw new DataFileException($"Unexpected pixel layout after resizing '{path}'.", path);
        return bytes;
    }

    /// <summary>
    /// The sampling <see cref="DecodeResized"/> resizes with: bilinear within the nearest mipmap level. This is what
    /// Skia maps its legacy medium filter quality to, and reproduces the pixels of SkiaSharp 2.88's
    /// <c>SKFilterQuality.Medium</c> byte for byte (checked on 30 JPEG and 5 PNG photos resized to 224×224).
    /// SkiaSharp 3's obsolete <c>SKFilterQuality.Medium</c> overload maps to linear mipmaps instead, which changes
    /// about a third of the bytes (by one on average).
    /// </summary>
    internal static SKSamplingOptions ResizeSampling { get; } = new(SKFilterMode.Linear, SKMipmapMode.Nearest);

    /// <summary>Writes RGBA bytes (row-major, four per pixel, unpremultiplied) as a PNG, creating the folder if needed.</summary>
    /// <exception cref="ArgumentException">The number of bytes is not 4·<paramref name="width"/>·<paramref name="height"/>.</exception>
    /// <exception cref="IOException">The file cannot be written.</exception>
    public static void SavePng(string path, ReadOnlySpan<byte> rgba, int width, int height)
    {
        ArgumentNullException.ThrowIfNull(path);
        byte[] png = EncodePng(rgba, width, height);
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        File.WriteAllBytes(path, png);
    }

    /// <summary>Encodes RGBA bytes (row-major, four per pixel, unpremultiplied) as a PNG file's bytes.</summary>
    /// <exception cref="ArgumentException">The number of bytes is not 4·<paramref name="width"/>·<paramref name="height"/>.</exception>
    public static byte[] EncodePng(ReadOnlySpan<byte> rgba, int width, int height)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        if (rgba.Length != 4 * width * height)
            throw new ArgumentException($"Expected {4 * width * height} RGBA bytes for {width}×{height}, got {rgba.Length}.", nameof(rgba));
        var info = new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        using var image = SKImage.FromPixelCopy(info, rgba, 4 * width);
        using SKData data = image.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }
}
