using Adef.MLNet.Data;
using SkiaSharp;

using Adef.Experiments;

namespace Adef.Samples;

/// <summary>Images to attack, already in the model's input space.</summary>
/// <param name="Files">Per image: the relative path of the source (or the idx index as NNNNN).</param>
/// <param name="OutputNames">Per image: the relative path of the adversarial PNG.</param>
/// <param name="Pixels">N·C·H·W normalised values.</param>
/// <param name="TrueLabels">Per image: the true label, or null when unknown.</param>
/// <param name="LabelSource">Where the labels came from, or null.</param>
internal sealed record LoadedImages(string[] Files, string[] OutputNames, float[] Pixels, int?[] TrueLabels, string? LabelSource)
{
    public int Count => Files.Length;
}

/// <summary>Loads a folder of PNG/JPEG photos (recursively, sorted by relative path) or an idx image file.</summary>
internal static class ImageFolderLoader
{
    private static readonly string[] Extensions = { ".png", ".jpg", ".jpeg" };

    public static LoadedImages Load(string path, string? labelsPath, Preprocessing preprocessing, int limit)
    {
        if (Directory.Exists(path)) return LoadFolder(path, labelsPath, preprocessing, limit);
        if (File.Exists(path)) return LoadIdx(path, labelsPath, preprocessing, limit);
        throw new UsageException($"--images '{path}' is neither a folder nor a file.");
    }

    private static LoadedImages LoadFolder(string folder, string? labelsPath, Preprocessing preprocessing, int limit)
    {
        string[] files = Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories)
            .Where(f => Extensions.Contains(Path.GetExtension(f).ToLowerInvariant()))
            .Select(f => Path.GetRelativePath(folder, f).Replace('\\', '/'))
            .Order(StringComparer.Ordinal)
            .ToArray();
        if (files.Length == 0) throw new UsageException($"No PNG or JPEG images found in '{folder}' (searched recursively).");
        if (limit > 0 && files.Length > limit) files = files[..limit];

        Dictionary<string, int>? labels = labelsPath is null ? null : ReadLabelsCsv(labelsPath);
        int length = preprocessing.ImageLength;
        var pixels = new float[files.Length * length];
        var trueLabels = new int?[files.Length];
        for (int i = 0; i < files.Length; i++)
        {
            byte[] rgba = DecodeResized(Path.Combine(folder, files[i]), preprocessing.Width, preprocessing.Height);
            preprocessing.Normalize(rgba, pixels.AsSpan(i * length, length));
            if (labels is not null && labels.TryGetValue(files[i], out int label)) trueLabels[i] = label;
        }
        string[] outputs = files.Select(f => Path.ChangeExtension(f, ".png")).ToArray();
        return new LoadedImages(files, outputs, pixels, trueLabels, labelsPath);
    }

    private static LoadedImages LoadIdx(string path, string? labelsPath, Preprocessing preprocessing, int limit)
    {
        var (dimensions, data) = IdxFile.Read(path);
        if (dimensions.Length != 3)
            throw new UsageException($"'{path}' is not an idx image file: expected N×H×W, found {dimensions.Length} dimension(s).");
        int count = dimensions[0], height = dimensions[1], width = dimensions[2];
        if (height != preprocessing.Height || width != preprocessing.Width)
            throw new UsageException($"The idx images are {width}×{height} (W×H) but the model takes {preprocessing.Width}×{preprocessing.Height}.");
        if (count == 0) throw new UsageException($"No images found in '{path}'.");
        if (limit > 0) count = Math.Min(count, limit);

        if (labelsPath is null)
        {
            string name = Path.GetFileName(path);
            string candidate = Path.Combine(Path.GetDirectoryName(path) ?? ".", name.Replace("-images-idx3-ubyte", "-labels-idx1-ubyte"));
            if (name.Contains("-images-idx3-ubyte") && File.Exists(candidate)) labelsPath = candidate;
        }
        int[]? idxLabels = null;
        if (labelsPath is not null)
        {
            idxLabels = IdxFile.ReadLabels(labelsPath);
            if (idxLabels.Length < count)
                throw new UsageException($"'{labelsPath}' holds {idxLabels.Length} labels, fewer than the {count} images attacked.");
        }

        int plane = height * width, length = preprocessing.ImageLength;
        var pixels = new float[count * length];
        var rgba = new byte[4 * plane];
        for (int i = 0; i < count; i++)
        {
            for (int p = 0; p < plane; p++)
            {
                byte v = data[i * plane + p];
                rgba[4 * p] = rgba[4 * p + 1] = rgba[4 * p + 2] = v;
                rgba[4 * p + 3] = 255;
            }
            preprocessing.Normalize(rgba, pixels.AsSpan(i * length, length));
        }
        string[] files = Enumerable.Range(0, count).Select(i => i.ToString("D5")).ToArray();
        var trueLabels = Enumerable.Range(0, count).Select(i => idxLabels is null ? (int?)null : idxLabels[i]).ToArray();
        return new LoadedImages(files, files.Select(f => f + ".png").ToArray(), pixels, trueLabels, labelsPath);
    }

    /// <summary>Decodes a PNG/JPEG and resizes it (bilinear, mipmapped) to width×height, as RGBA bytes.</summary>
    public static byte[] DecodeResized(string path, int width, int height)
    {
        using SKBitmap? decoded = SKBitmap.Decode(path);
        if (decoded is null || decoded.Width == 0 || decoded.Height == 0)
            throw new UsageException($"Could not decode '{path}' as an image (PNG or JPEG expected).");
        var info = new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        using SKBitmap? resized = decoded.Resize(info, SKFilterQuality.Medium); // bilinear with mipmaps
        if (resized is null) throw new UsageException($"Could not resize '{path}' to {width}×{height}.");
        byte[] bytes = resized.GetPixelSpan().ToArray();
        if (bytes.Length != 4 * width * height)
            throw new UsageException($"Unexpected pixel layout after resizing '{path}'.");
        return bytes;
    }

    /// <summary>Writes opaque RGBA bytes as a PNG.</summary>
    public static void SavePng(string path, byte[] rgba, int width, int height)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var info = new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        using var image = SKImage.FromPixelCopy(info, rgba, 4 * width);
        using SKData data = image.Encode(SKEncodedImageFormat.Png, 100);
        using var stream = File.Create(path);
        data.SaveTo(stream);
    }

    /// <summary>Reads a CSV with a header naming a <c>path</c> column and a <c>label</c> (or <c>label_index</c>) column.</summary>
    public static Dictionary<string, int> ReadLabelsCsv(string path)
    {
        if (!File.Exists(path)) throw new UsageException($"Labels file '{path}' does not exist.");
        var lines = File.ReadAllLines(path).Where(l => l.Trim().Length > 0).ToList();
        if (lines.Count == 0) throw new UsageException($"Labels file '{path}' is empty.");
        var header = SplitCsv(lines[0]).Select(h => h.Trim().ToLowerInvariant()).ToList();
        int pathColumn = header.IndexOf("path");
        int labelColumn = header.IndexOf("label");
        if (labelColumn < 0) labelColumn = header.IndexOf("label_index");
        if (pathColumn < 0 || labelColumn < 0)
            throw new UsageException($"Labels file '{path}' needs a header with a 'path' and a 'label' (or 'label_index') column; found: {lines[0]}");
        var labels = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 1; i < lines.Count; i++)
        {
            var fields = SplitCsv(lines[i]);
            if (fields.Count <= Math.Max(pathColumn, labelColumn) || !int.TryParse(fields[labelColumn].Trim(), out int label) || label < 0)
                throw new UsageException($"Labels file '{path}', line {i + 1}: expected a path and a non-negative integer label.");
            labels[fields[pathColumn].Trim().Replace('\\', '/')] = label;
        }
        return labels;
    }

    /// <summary>Splits one CSV line, honouring double-quoted fields.</summary>
    private static List<string> SplitCsv(string line)
    {
        var fields = new List<string>();
        var current = new System.Text.StringBuilder();
        bool quoted = false;
        for (int i = 0; i < line.Length; i++)
        {
            char ch = line[i];
            if (quoted)
            {
                if (ch == '"' && i + 1 < line.Length && line[i + 1] == '"') { current.Append('"'); i++; }
                else if (ch == '"') quoted = false;
                else current.Append(ch);
            }
            else if (ch == '"') quoted = true;
            else if (ch == ',') { fields.Add(current.ToString()); current.Clear(); }
            else current.Append(ch);
        }
        fields.Add(current.ToString());
        return fields;
    }
}
