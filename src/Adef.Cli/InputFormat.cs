using Adef.Cluster;
using Adef.MLNet.Classifiers;
using Adef.MLNet.Data;

namespace Adef.Cli;

/// <summary>
/// What a model takes from an image file: the size images are read at and the <see cref="ImagePreprocessing"/> that
/// turns their bytes into the model's input, parsed from the <c>--size</c>, <c>--scale</c>, <c>--mean</c>, <c>--std</c> and
/// <c>--channels</c> options.
/// </summary>
internal sealed record InputFormat(int Width, int Height, ImagePreprocessing Preprocessing)
{
    /// <summary>The number of channels of the model's input.</summary>
    public int Channels => Preprocessing.Channels;

    /// <summary>Floats per image, C·H·W.</summary>
    public int ImageLength => Channels * Height * Width;

    /// <summary>Builds the format from the command-line strings; null strings take the defaults for the model.</summary>
    /// <exception cref="UsageException">A value is malformed or does not fit the model.</exception>
    public static InputFormat Parse(string? size, double scale, string? mean, string? std, string? channels, ImageShape model)
    {
        if (!(scale > 0) || double.IsInfinity(scale)) throw new UsageException($"--scale must be a positive number (1 or 255), not {scale}.");
        int width = model.Width, height = model.Height;
        if (size is not null)
        {
            double[] wh = CommandLineValues.ParseList("--size", size);
            if (wh.Length != 2 || wh.Any(v => v < 1 || v != Math.Floor(v)))
                throw new UsageException($"--size must be W,H with positive integers, not '{size}'.");
            (width, height) = ((int)wh[0], (int)wh[1]);
            if (width != model.Width || height != model.Height)
                throw new UsageException($"--size {width},{height} does not match the model's fixed input of {model.Width}×{model.Height} (W×H).");
        }
        ChannelOrder order = AttackSpec.ChannelOrderOf(channels, model.Channels)
            ?? throw new UsageException($"--channels must be rgb, bgr or gray, not '{channels}'.");
        int count = order == ChannelOrder.Gray ? 1 : 3;
        if (count != model.Channels)
            throw new UsageException($"--channels {order.ToString().ToLowerInvariant()} gives {count} channel(s), but the model takes {model.Channels}.");
        double[] means = mean is null ? new double[count] : CommandLineValues.ParseList("--mean", mean);
        double[] stds = std is null ? Enumerable.Repeat(1.0, count).ToArray() : CommandLineValues.ParseList("--std", std);
        if (means.Length != count)
            throw new UsageException($"--mean has {means.Length} value(s) but the input has {count} channel(s).");
        if (stds.Length != count)
            throw new UsageException($"--std has {stds.Length} value(s) but the input has {count} channel(s).");
        if (stds.Any(s => !(s > 0)))
            throw new UsageException("--std values must be positive and finite.");
        return new InputFormat(width, height, new ImagePreprocessing(order, scale, means, stds));
    }

    /// <summary>
    /// Opens a folder of PNG/JPEG files or an idx image file (its first <paramref name="limit"/> images; 0 = all), checking
    /// that there are images and that idx images have this format's size.
    /// </summary>
    /// <exception cref="UsageException">The path does not exist, holds no images, or holds idx images of another size.</exception>
    /// <exception cref="Adef.MLNet.DataFileException">A file is malformed.</exception>
    public ImageSource Open(string path, string? labelsPath, int limit)
    {
        if (!Directory.Exists(path) && !File.Exists(path)) throw new UsageException($"--images '{path}' does not exist.");
        ImageSource source = ImageSource.Open(path, Width, Height, labelsPath, limit > 0 ? limit : null);
        if (source.Width != Width || source.Height != Height)
            throw new UsageException($"The idx images are {source.Width}×{source.Height} (W×H) but the model takes {Width}×{Height}.");
        if (source.Count == 0)
            throw new UsageException(Directory.Exists(path)
                ? $"No PNG or JPEG images found in '{path}' (searched recursively)."
                : $"No images found in '{path}'.");
        return source;
    }

    /// <summary>The images <paramref name="indices"/> of <paramref name="source"/> in the model's input space, one after another.</summary>
    public float[] Read(ImageSource source, IReadOnlyList<int> indices)
    {
        var pixels = new float[indices.Count * ImageLength];
        for (int j = 0; j < indices.Count; j++)
            source.ReadNormalized(indices[j], 1, Preprocessing, pixels.AsSpan(j * ImageLength, ImageLength));
        return pixels;
    }
}
