using System.Globalization;
using CsvHelper;

namespace Adef.MLNet.Data;

/// <summary>
/// A labels file: comma-separated values (RFC 4180 quoting) with a header naming a <c>path</c> column (image paths relative
/// to the image folder) and a <c>label</c> or <c>label_index</c> column (class indices from 0); other columns are ignored.
/// </summary>
public static class LabelsCsv
{
    /// <summary>Reads the labels by image path ('/' separators; the last row wins for a path listed twice).</summary>
    /// <exception cref="DataFileException">The file is missing, empty or malformed; the message names the file and the line.</exception>
    public static IReadOnlyDictionary<string, int> Read(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path)) throw new DataFileException($"Labels file '{path}' does not exist.", path);
        var options = new CsvReaderOptions
        {
            Separator = ',', TrackLineNumbers = true, AllowLineBreaksInQuotes = false,
            MalformedData = CsvMalformedDataHandling.Throw,
        };
        try
        {
            using CsvReader reader = CsvReader.FromFile(path, options);
            List<string> header = reader.Headers.Select(h => h.Trim().ToLowerInvariant()).ToList();
            if (header.Count == 0) throw new DataFileException($"Labels file '{path}' is empty.", path);
            int pathColumn = header.IndexOf("path");
            int labelColumn = header.IndexOf("label");
            if (labelColumn < 0) labelColumn = header.IndexOf("label_index");
            if (pathColumn < 0 || labelColumn < 0)
                throw new DataFileException($"Labels file '{path}' needs a header with a 'path' and a 'label' (or 'label_index') column; " +
                                            $"found: {string.Join(",", reader.Headers)}", path);
            var labels = new Dictionary<string, int>(StringComparer.Ordinal);
            while (reader.Read())
            {
                string[] fields = Enumerable.Range(0, reader.FieldCount).Select(i => reader.GetString(i) ?? "").ToArray();
                if (fields.All(string.IsNullOrWhiteSpace)) continue;
                if (fields.Length <= Math.Max(pathColumn, labelColumn)
                    || !int.TryParse(fields[labelColumn].Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out int label) || label < 0)
                    throw new DataFileException(
                        $"Labels file '{path}', line {reader.LineNumber}: expected a path and a non-negative integer label.", path);
                labels[fields[pathColumn].Trim().Replace('\\', '/')] = label;
            }
            return labels;
        }
        catch (CsvFormatException e)
        {
            throw new DataFileException($"Labels file '{path}', line {e.LineNumber}: {e.Message}", path, e);
        }
        catch (IOException e)
        {
            throw new DataFileException($"Could not read labels file '{path}': {e.Message}", path, e);
        }
    }
}
