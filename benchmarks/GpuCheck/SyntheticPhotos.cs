using static TorchSharp.torch;

namespace Adef.GpuCheck;

/// <summary>Seeded smooth random RGB images in ImageNet-normalised input space, for timing a model without photos.</summary>
internal static class SyntheticPhotos
{
    private static readonly float[] Mean = { 0.485f, 0.456f, 0.406f };
    private static readonly float[] Std = { 0.229f, 0.224f, 0.225f };

    /// <summary><paramref name="count"/> images 3×<paramref name="size"/>×<paramref name="size"/>: uniform noise box-blurred over 15 px, contrast stretched to [0, 1], then (x − mean)/std per channel.</summary>
    public static float[] Generate(int count, int size, int seed)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        using var scope = NewDisposeScope();
        var generator = new Generator((ulong)seed);
        Tensor noise = rand(new long[] { count, 3, size, size }, generator: generator);
        Tensor smooth = nn.functional.avg_pool2d(noise, 15, stride: 1, padding: 7, count_include_pad: false);
        Tensor stretched = ((smooth - 0.5f) * 8 + 0.5f).clamp(0, 1);
        Tensor normalised = (stretched - tensor(Mean).view(1, 3, 1, 1)) / tensor(Std).view(1, 3, 1, 1);
        return normalised.contiguous().data<float>().ToArray();
    }
}
