namespace Adef.MLNet.Evaluation;

/// <summary>
/// How the flat pixel arrays handed to <see cref="AttackFigures"/> are laid out, and which value
/// range is shown as black-to-white.
/// </summary>
/// <param name="Channels">Number of colour planes: 1 (grey) or 3 (RGB).</param>
/// <param name="Height">Image height in pixels (rows).</param>
/// <param name="Width">Image width in pixels (columns).</param>
/// <param name="DisplayMin">Pixel value drawn as black (or zero intensity of a colour channel). Default 0.</param>
/// <param name="DisplayMax">Pixel value drawn as white (or full intensity). Default 1. Values outside
/// [<paramref name="DisplayMin"/>, <paramref name="DisplayMax"/>] are clipped. For normalised inputs
/// pass the normalised images of 0 and 1, for example <c>(0 - mean) / std</c> and <c>(1 - mean) / std</c>.</param>
/// <remarks>
/// Images are channel-planar (C×H×W, row-major within a plane), the layout used throughout this library.
/// </remarks>
public sealed record ImageLayout(int Channels, int Height, int Width, float DisplayMin = 0f, float DisplayMax = 1f)
{
    /// <summary>Number of values in one image: <see cref="Channels"/> × <see cref="Height"/> × <see cref="Width"/>.</summary>
    public int ImageLength => Channels * Height * Width;

    /// <summary>Number of values in one vector field over this image: 2 × <see cref="Height"/> × <see cref="Width"/>.</summary>
    public int VectorFieldLength => 2 * Height * Width;
}
