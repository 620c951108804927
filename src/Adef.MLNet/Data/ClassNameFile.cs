using System.Globalization;
using System.Text.RegularExpressions;
using CsvHelper;

namespace Adef.MLNet.Data;

/// <summary>
/// Class names from files: a list with one name per line in class-index order (line 1 is class 0), such as ImageNet's
/// <c>synset_words.txt</c>, or the name column of a labels CSV.
/// </summary>
public static partial class ClassNameFile
{
    /// <summary>A WordNet id such as <c>n01440764</c>, which leads each line of an ImageNet synset file.</summary>
    [GeneratedRegex(@"^n\d{8}$")]
    private static partial Regex SynsetId();

    /// <summary>Reads one class name per line; a line that starts with a WordNet id and a space ("n01440764 tench, Tinca tinca")
    /// gives the text after that space ("tench, Tinca tinca").</summary>
    /// <param name="path">The file (UTF-8).</param>
    /// <returns>The names in class-index order.</returns>
    /// <exception cref="DataFileException">The file is missing, unreadable, holds no name, or has an empty line before its last name.</exception>
    public static IReadOnlyList<string> Read(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path)) throw new DataFileException($"Class names file '{path}' does not exist.", path);
        try
        {
            return Parse(File.ReadAllLines(path), path);
        }
        catch (IOException e)
        {
            throw new DataFileException($"Could not read class names file '{path}': {e.Message}", path, e);
        }
    }

    /// <summary>The names of <paramref name="lines"/>, as <see cref="Read"/> gives them; trailing empty lines are ignored.</summary>
    /// <param name="lines">The file's lines.</param>
    /// <param name="path">The file's name, for messages.</param>
    /// <exception cref="DataFileException">No name, or an empty line between names (it would shift every later class).</exception>
    public static IReadOnlyList<string> Parse(IReadOnlyList<string> lines, string path = "class names")
    {
        ArgumentNullException.ThrowIfNull(lines);
        int count = lines.Count;
        while (count > 0 && string.IsNullOrWhiteSpace(lines[count - 1])) count--;
        if (count == 0) throw new DataFileException($"Class names file '{path}' holds no name.", path);
        var names = new string[count];
        for (int i = 0; i < count; i++)
        {
            string line = lines[i].Trim();
            int space = line.IndexOf(' ');
            names[i] = space > 0 && SynsetId().IsMatch(line[..space]) ? line[(space + 1)..].Trim() : line;
            if (names[i].Length == 0)
                throw new DataFileException($"Class names file '{path}', line {i + 1}: empty; each line names the class of its index (line 1 is class 0).", path);
        }
        return names;
    }

    /// <summary>The class names a labels CSV gives beside its labels: its <c>label_name</c> (or <c>name</c>) column by the
    /// <c>label</c> (or <c>label_index</c>) column, as <see cref="LabelsCsv"/> reads labels; empty when it has no name column.</summary>
    /// <param name="path">The labels CSV.</param>
    /// <returns>Name by class index, for the classes the file labels (the first name given for a class wins).</returns>
    /// <exception cref="DataFileException">The file is missing or malformed.</exception>
    public static IReadOnlyDictionary<int, string> ReadFromLabelsCsv(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path)) throw new DataFileException($"Labels file '{path}' does not exist.", path);
        var names = new Dictionary<int, string>();
        try
        {
            using CsvReader reader = CsvReader.FromFile(path, new CsvReaderOptions { Separator = ',' });
            List<string> header = reader.Headers.Select(h => h.Trim().ToLowerInvariant()).ToList();
            int label = header.IndexOf("label") is >= 0 and var l ? l : header.IndexOf("label_index");
            int name = header.IndexOf("label_name") is >= 0 and var n ? n : header.IndexOf("name");
            if (label < 0 || name < 0) return names;
            while (reader.Read())
            {
                if (reader.FieldCount <= Math.Max(label, name)) continue;
                string text = (reader.GetString(name) ?? "").Trim();
                if (text.Length > 0 && int.TryParse(reader.GetString(label), NumberStyles.Integer, CultureInfo.InvariantCulture, out int index))
                    names.TryAdd(index, text);
            }
        }
        catch (Exception e) when (e is CsvFormatException or IOException)
        {
            throw new DataFileException($"Could not read class names from labels file '{path}': {e.Message}", path, e);
        }
        return names;
    }
}
