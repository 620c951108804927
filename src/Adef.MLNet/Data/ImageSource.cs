namespace Adef.MLNet.Data;

/// <summary>
/// Images to read in ranges: the names and true labels of all of them are known when the source is opened, while
/// pixels are read on demand, <see cref="ReadPixels"/> for images [start, start + count), so a large folder can be
/// processed a shard at a time instead of holding every pixel in memory.
/// </summary>
public abstract class ImageSource
{
    /// <summary>Creates a source of images of <paramref name="width"/>×<paramref name="height"/> pixels.</summary>
    /// <param name="width">The width every image is read at.</param>
    /// <param name="height">The height every image is read at.</param>
    /// <param name="names">Per image, its name (see <see cref="Names"/>).</param>
    /// <param name="trueLabels">Per image, its true label or <see langword="null"/>; as many as <paramref name="names"/>.</param>
    /// <param name="labelsPath">The file the labels came from, or <see langword="null"/>.</param>
    /// <exception cref="ArgumentException">The sizes are not positive or the lists differ in length.</exception>
    protected ImageSource(int width, int height, IReadOnlyList<string> names, IReadOnlyList<int?> trueLabels, string? labelsPath)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        ArgumentNullException.ThrowIfNull(names);
        ArgumentNullException.ThrowIfNull(trueLabels);
        if (names.Count != trueLabels.Count)
            throw new ArgumentException($"{names.Count} names but {trueLabels.Count} labels.", nameof(trueLabels));
        Width = width;
        Height = height;
        Names = names;
        TrueLabels = trueLabels;
        LabelsPath = labelsPath;
    }

    /// <summary>The width of every image read, in pixels.</summary>
    public int Width { get; }

    /// <summary>The height of every image read, in pixels.</summary>
    public int Height { get; }

    /// <summary>The number of images.</summary>
    public int Count => Names.Count;

    /// <summary>Per image, its name: the path relative to the folder ('/' separators) or, in an idx file, the index as five digits.</summary>
    public IReadOnlyList<string> Names { get; }

    /// <summary>Per image, its true class index, or <see langword="null"/> where it is not known.</summary>
    public IReadOnlyList<int?> TrueLabels { get; }

    /// <summary>The file the true labels came from, or <see langword="null"/> when there is none.</summary>
    public string? LabelsPath { get; }

    /// <summary>Reads images [<paramref name="start"/>, <paramref name="start"/> + <paramref name="count"/>) as RGBA bytes, image after image.</summary>
    /// <param name="start">The first image.</param>
    /// <param name="count">How many images.</param>
    /// <param name="rgba">Receives 4·<see cref="Width"/>·<see cref="Height"/> bytes per image.</param>
    /// <exception cref="ArgumentException">The range lies outside the source or <paramref name="rgba"/> has another length.</exception>
    /// <exception cref="DataFileException">An image cannot be read; the message names its file.</exception>
    public void ReadPixels(int start, int count, Span<byte> rgba)
    {
        CheckRange(start, count);
        int length = 4 * Width * Height;
        if (rgba.Length != count * length)
            throw new ArgumentException($"Expected {count * length} bytes for {count} image(s), got {rgba.Length}.", nameof(rgba));
        ReadPixelsCore(start, count, rgba);
    }

    /// <summary>
    /// Reads images [<paramref name="start"/>, <paramref name="start"/> + <paramref name="count"/>) in a classifier's input
    /// space: C·<see cref="Height"/>·<see cref="Width"/> floats per image, as <paramref name="preprocessing"/> normalises them.
    /// </summary>
    /// <exception cref="ArgumentException">The range lies outside the source or <paramref name="planar"/> has another length.</exception>
    /// <exception cref="DataFileException">An image cannot be read; the message names its file.</exception>
    public void ReadNormalized(int start, int count, ImagePreprocessing preprocessing, Span<float> planar)
    {
        ArgumentNullException.ThrowIfNull(preprocessing);
        CheckRange(start, count);
        int plane = Width * Height, length = preprocessing.Channels * plane;
        if (planar.Length != count * length)
            throw new ArgumentException($"Expected {count * length} floats for {count} image(s), got {planar.Length}.", nameof(planar));
        var rgba = new byte[4 * plane];
        for (int i = 0; i < count; i++)
        {
            ReadPixelsCore(start + i, 1, rgba);
            preprocessing.Normalize(rgba, planar.Slice(i * length, length));
        }
    }

    /// <summary>Reads images [start, start + count) into <paramref name="rgba"/>, whose length has been checked.</summary>
    /// <param name="start">The first image, within the source.</param>
    /// <param name="count">How many images, within the source.</param>
    /// <param name="rgba">4·<see cref="Width"/>·<see cref="Height"/> bytes per image.</param>
    protected abstract void ReadPixelsCore(int start, int count, Span<byte> rgba);

    /// <summary>
    /// Opens a folder of PNG/JPEG files (<see cref="ImageFolderSource"/>) or an idx image file (<see cref="IdxImageSource"/>,
    /// with its label file found beside it when <paramref name="labelsPath"/> is null).
    /// </summary>
    /// <param name="path">The folder or the idx file.</param>
    /// <param name="width">The width folder images are resized to; an idx file keeps its own.</param>
    /// <param name="height">The height folder images are resized to; an idx file keeps its own.</param>
    /// <param name="labelsPath">A labels CSV (<see cref="LabelsCsv"/>) for a folder, an idx label file for an idx file, or null.</param>
    /// <param name="maxImages">Keep only the first this many images, or <see langword="null"/> for all.</param>
    /// <exception cref="DataFileException">The path does not exist, or a file is malformed.</exception>
    public static ImageSource Open(string path, int width, int height, string? labelsPath = null, int? maxImages = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (Directory.Exists(path)) return new ImageFolderSource(path, width, height, labelsPath, maxImages);
        if (File.Exists(path)) return new IdxImageSource(path, labelsPath ?? IdxImageSource.FindLabelFile(path), maxImages);
        throw new DataFileException($"'{path}' is neither a folder nor a file.", path);
    }

    /// <summary>The first <paramref name="maxImages"/> of <paramref name="count"/>, or all of them when it is null.</summary>
    private protected static int Keep(int count, int? maxImages)
    {
        if (maxImages is { } max) ArgumentOutOfRangeException.ThrowIfNegative(max, nameof(maxImages));
        return Math.Min(count, maxImages ?? count);
    }

    private void CheckRange(int start, int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(start);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (start > Count - count)
            throw new ArgumentOutOfRangeException(nameof(count), count, $"Images [{start}, {start + count}) lie outside the {Count} image(s).");
    }
}
