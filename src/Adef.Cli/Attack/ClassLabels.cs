using System.Globalization;
using Adef.MLNet.Data;

namespace Adef.Cli;

/// <summary>
/// How the attack command prints a class: its name where one is known, else its index. Names come from
/// <c>--class-names</c> (every class; results.csv then gains name columns) or, without it, from a name column of the
/// <c>--labels</c> CSV (the classes it labels; only the figures use them, so results.csv stays as without names).
/// </summary>
internal sealed class ClassLabels
{
    private readonly IReadOnlyDictionary<int, string> _names;

    private ClassLabels(IReadOnlyDictionary<int, string> names, bool fromClassNamesFile)
    {
        _names = names;
        FromClassNamesFile = fromClassNamesFile;
    }

    /// <summary>Whether the names come from <c>--class-names</c>: results.csv then has the name columns.</summary>
    public bool FromClassNamesFile { get; }

    /// <summary>The name of class <paramref name="label"/>, or its index when it has none.</summary>
    public string this[int label] => _names.TryGetValue(label, out string? name) ? name : label.ToString(CultureInfo.InvariantCulture);

    /// <summary>The names of a <c>--class-names</c> file, in class-index order.</summary>
    public static ClassLabels FromNames(IReadOnlyList<string> names) =>
        new(names.Select((name, index) => (name, index)).ToDictionary(p => p.index, p => p.name), fromClassNamesFile: true);

    /// <summary>The names the command line makes known.</summary>
    /// <param name="classNamesPath"><c>--class-names</c>, or null.</param>
    /// <param name="source">The images, with the labels file they were read with, if any.</param>
    /// <param name="classCount">The model's classes.</param>
    /// <exception cref="UsageException">The names file does not list one name per class of the model.</exception>
    public static ClassLabels Load(string? classNamesPath, ImageSource source, int classCount)
    {
        if (classNamesPath is not null)
        {
            IReadOnlyList<string> names = ClassNameFile.Read(classNamesPath);
            if (names.Count != classCount)
                throw new UsageException($"--class-names '{classNamesPath}' lists {names.Count} names; the model has {classCount} classes (one name per line, line 1 is class 0).");
            return FromNames(names);
        }
        // A folder's labels file is a CSV, which may name its classes; an idx label file holds indices only.
        return new ClassLabels(source is ImageFolderSource { LabelsPath: { } csv } ? ClassNameFile.ReadFromLabelsCsv(csv) : new Dictionary<int, string>(),
            fromClassNamesFile: false);
    }
}
