using System.Globalization;

namespace Adef.MLNet.Data;

/// <summary>
/// The images of an idx image file (N×H×W grey bytes, <see cref="IdxFile"/>), read as opaque grey RGBA pixels, with true
/// labels from an optional idx label file. Image i is named by its index as five digits ("00042").
/// </summary>
public sealed class IdxImageSource : ImageSource
{
    private readonly byte[] _data;

    /// <summary>Reads the idx image file and, if given, its label file.</summary>
    /// <param name="path">The idx image file (optionally gzip-compressed).</param>
    /// <param name="labelsPath">An idx label file with at least one label per image kept, or null.</param>
    /// <param name="maxImages">Keep only the first this many images, or <see langword="null"/> for all.</param>
    /// <exception cref="DataFileException">A file is missing or malformed, the images are not N×H×W, or there are fewer labels than images.</exception>
    public IdxImageSource(string path, string? labelsPath = null, int? maxImages = null)
        : this(path, IdxFile.Read(path), labelsPath, maxImages)
    {
    }

    private IdxImageSource(string path, (int[] Dimensions, byte[] Data) idx, string? labelsPath, int? maxImages)
        : base(Size(path, idx.Dimensions, 2), Size(path, idx.Dimensions, 1), IndexNames(Keep(idx.Dimensions[0], maxImages)),
            Labels(labelsPath, Keep(idx.Dimensions[0], maxImages)), labelsPath)
    {
        Path = path;
        _data = idx.Data;
    }

    /// <summary>The idx image file.</summary>
    public string Path { get; }

    /// <summary>
    /// The label file beside an image file named in the MNIST way: <c>…-images-idx3-ubyte</c> → <c>…-labels-idx1-ubyte</c>
    /// (a <c>.gz</c> suffix kept), or <see langword="null"/> when the name does not follow it or no such file exists.
    /// </summary>
    public static string? FindLabelFile(string imagesPath)
    {
        ArgumentNullException.ThrowIfNull(imagesPath);
        string name = System.IO.Path.GetFileName(imagesPath);
        if (!name.Contains("-images-idx3-ubyte", StringComparison.Ordinal)) return null;
        string candidate = System.IO.Path.Combine(System.IO.Path.GetDirectoryName(imagesPath) ?? ".",
            name.Replace("-images-idx3-ubyte", "-labels-idx1-ubyte", StringComparison.Ordinal));
        return File.Exists(candidate) ? candidate : null;
    }

    /// <inheritdoc/>
    protected override void ReadPixelsCore(int start, int count, Span<byte> rgba)
    {
        int plane = Width * Height;
        ReadOnlySpan<byte> grey = _data.AsSpan(start * plane, count * plane);
        for (int p = 0; p < grey.Length; p++)
        {
            rgba[4 * p] = rgba[4 * p + 1] = rgba[4 * p + 2] = grey[p];
            rgba[4 * p + 3] = 255;
        }
    }

    private static int Size(string path, int[] dimensions, int axis)
    {
        if (dimensions.Length != 3)
            throw new DataFileException($"'{path}' is not an idx image file: expected N×H×W, found {dimensions.Length} dimension(s).", path);
        if (dimensions[axis] == 0)
            throw new DataFileException($"'{path}' declares images of {dimensions[2]}×{dimensions[1]} pixels (W×H).", path);
        return dimensions[axis];
    }

    private static string[] IndexNames(int count) =>
        Enumerable.Range(0, count).Select(i => i.ToString("D5", CultureInfo.InvariantCulture)).ToArray();

    private static int?[] Labels(string? labelsPath, int count)
    {
        if (labelsPath is null) return new int?[count];
        int[] labels = IdxFile.ReadLabels(labelsPath);
        if (labels.Length < count)
            throw new DataFileException($"'{labelsPath}' holds {labels.Length} labels, fewer than the {count} images read.", labelsPath);
        return labels.Take(count).Select(l => (int?)l).ToArray();
    }
}
