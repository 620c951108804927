namespace Adef.MLNet.Data;

/// <summary>The byte order of 8-bit pixels with four bytes each, the alpha byte last.</summary>
public enum PixelLayout
{
    /// <summary>Red, green, blue, alpha (SkiaSharp's <c>Rgba8888</c>, ML.NET's <c>MLPixelFormat.Rgba32</c>).</summary>
    Rgba,

    /// <summary>Blue, green, red, alpha (ML.NET's <c>MLPixelFormat.Bgra32</c>).</summary>
    Bgra,
}
