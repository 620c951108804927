using System.Globalization;
using CsvHelper;

namespace Adef.MLNet.Data;

/// <summary>
/// Files that give images a class: comma-separated values (RFC 4180 quoting) with a header naming a column of image names
/// relative to the image folder ('/' or '\' separators) and a column of class indices from 0; other columns are ignored.
/// A labels file (<see cref="Read(string)"/>) names the columns <c>path</c> and <c>label</c> (or <c>label_index</c>); a targets
/// file (<see cref="ReadTargets"/>) names them <c>file</c> and <c>target</c>, as the adef tool's results.csv names images.
/// </summary>
public static class LabelsCsv
{
    /// <summary>Reads the labels by image path ('/' separators; the last row wins for a path listed twice).</summary>
    /// <exception cref="DataFileException">The file is missing, empty or malformed; the message names the file and the line.</exception>
    public static IReadOnlyDictionary<string, int> Read(string path) => Read(path, "Labels", "path", ["label", "label_index"]);

    /// <summary>
    /// Reads the target label of each image, by name ('/' separators; the last row wins for a name listed twice): the
    /// class each image is to be made to look like in a targeted attack.
    /// </summary>
    /// <exception cref="DataFileException">The file is missing, empty or malformed; the message names the file and the line.</exception>
    public static IReadOnlyDictionary<string, int> ReadTargets(string path) => Read(path, "Targets", "file", ["target"]);

    /// <summary>The classes by image name of the CSV at <paramref name="path"/>, whose header names a column
    /// <paramref name="nameColumn"/> and one of <paramref name="classColumns"/> (the first present).</summary>
    private static Dictionary<string, int> Read(string path, string kind, string nameColumn, string[] classColumns)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path)) throw new DataFileException($"{kind} file '{path}' does not exist.", path);
        var options = new CsvReaderOptions
        {
            Separator = ',', TrackLineNumbers = true, AllowLineBreaksInQuotes = false,
            MalformedData = CsvMalformedDataHandling.Throw,
        };
        try
        {
            using CsvReader reader = CsvReader.FromFile(path, options);
            List<string> header = reader.Headers.Select(h => h.Trim().ToLowerInvariant()).ToList();
            if (header.Count == 0) throw new DataFileException($"{kind} file '{path}' is empty.", path);
            int names = header.IndexOf(nameColumn);
            int classes = classColumns.Select(c => header.IndexOf(c)).FirstOrDefault(i => i >= 0, -1);
            if (names < 0 || classes < 0)
                throw new DataFileException($"{kind} file '{path}' needs a header with a '{nameColumn}' and a '{classColumns[0]}'" +
                                            string.Concat(classColumns.Skip(1).Select(c => $" (or '{c}')")) + " column; " +
                                            $"found: {string.Join(",", reader.Headers)}", path);
            var values = new Dictionary<string, int>(StringComparer.Ordinal);
            while (reader.Read())
            {
                string[] fields = Enumerable.Range(0, reader.FieldCount).Select(i => reader.GetString(i) ?? "").ToArray();
                if (fields.All(string.IsNullOrWhiteSpace)) continue;
                if (fields.Length <= Math.Max(names, classes)
                    || !int.TryParse(fields[classes].Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out int value) || value < 0)
                    throw new DataFileException(
                        $"{kind} file '{path}', line {reader.LineNumber}: expected a {nameColumn} and a non-negative integer {classColumns[0]}.", path);
                values[fields[names].Trim().Replace('\\', '/')] = value;
            }
            return values;
        }
        catch (CsvFormatException e)
        {
            throw new DataFileException($"{kind} file '{path}', line {e.LineNumber}: {e.Message}", path, e);
        }
        catch (IOException e)
        {
            throw new DataFileException($"Could not read {kind.ToLowerInvariant()} file '{path}': {e.Message}", path, e);
        }
    }
}
