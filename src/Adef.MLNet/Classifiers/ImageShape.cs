namespace Adef.MLNet.Classifiers;

/// <summary>The shape of one classifier input image: C×H×W, channel-planar, row-major.</summary>
/// <param name="Channels">Number of channels C.</param>
/// <param name="Height">Height H in pixels (rows).</param>
/// <param name="Width">Width W in pixels (columns).</param>
public readonly record struct ImageShape(int Channels, int Height, int Width)
{
    /// <summary>Number of values in one image, C·H·W.</summary>
    public int Size => Channels * Height * Width;

    /// <summary>Number of values in one vector field of this image, 2·H·W.</summary>
    public int FieldSize => 2 * Height * Width;

    /// <inheritdoc />
    public override string ToString() => $"{Channels}×{Height}×{Width}";
}
