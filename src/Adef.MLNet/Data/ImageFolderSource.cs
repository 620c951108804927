namespace Adef.MLNet.Data;

/// <summary>
/// The PNG and JPEG files under a folder (<see cref="ImageFiles.List"/>: recursive, sorted by relative path), each read
/// resized to one size (<see cref="ImageFiles.DecodeResized"/>), with true labels from an optional <see cref="LabelsCsv"/>.
/// </summary>
public sealed class ImageFolderSource : ImageSource
{
    /// <summary>Lists the folder and reads the labels; no image is decoded until it is read.</summary>
    /// <param name="folder">The folder, searched recursively.</param>
    /// <param name="width">The width images are resized to.</param>
    /// <param name="height">The height images are resized to.</param>
    /// <param name="labelsPath">A labels CSV whose paths are relative to <paramref name="folder"/>, or null; images it does not
    /// list have no true label.</param>
    /// <param name="maxImages">Keep only the first this many images, or <see langword="null"/> for all.</param>
    /// <exception cref="DataFileException">The folder or the labels file is missing, or the labels file is malformed.</exception>
    public ImageFolderSource(string folder, int width, int height, string? labelsPath = null, int? maxImages = null)
        : this(folder, width, height, ImageFiles.List(folder), labelsPath, maxImages)
    {
    }

    private ImageFolderSource(string folder, int width, int height, string[] files, string? labelsPath, int? maxImages)
        : base(width, height, files[..Keep(files.Length, maxImages)], LabelsOf(files[..Keep(files.Length, maxImages)], labelsPath), labelsPath)
    {
        Folder = folder;
    }

    /// <summary>The folder the image names are relative to.</summary>
    public string Folder { get; }

    /// <inheritdoc/>
    protected override void ReadPixelsCore(int start, int count, Span<byte> rgba)
    {
        int length = 4 * Width * Height;
        for (int i = 0; i < count; i++)
            ImageFiles.DecodeResized(Path.Combine(Folder, Names[start + i]), Width, Height).CopyTo(rgba.Slice(i * length, length));
    }

    private static int?[] LabelsOf(string[] files, string? labelsPath)
    {
        IReadOnlyDictionary<string, int>? labels = labelsPath is null ? null : LabelsCsv.Read(labelsPath);
        return files.Select(f => labels is not null && labels.TryGetValue(f, out int label) ? label : (int?)null).ToArray();
    }
}
