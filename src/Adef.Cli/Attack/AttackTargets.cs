using Adef.MLNet.Data;
using Spectre.Console;

namespace Adef.Cli;

/// <summary>
/// The <c>--targets</c> file of a targeted run (<see cref="LabelsCsv.ReadTargets"/>: columns <c>file</c> and <c>target</c>,
/// names as results.csv writes them): the target of every image to attack, checked before anything is written.
/// </summary>
internal static class AttackTargets
{
    /// <summary>The targets of the images <paramref name="todo"/> of <paramref name="source"/>, in that order; null without <c>--targets</c>.</summary>
    /// <param name="path">The targets CSV, or null.</param>
    /// <param name="source">The images.</param>
    /// <param name="todo">The source index of each image to attack.</param>
    /// <param name="previous">The rows of a resumed results.csv, whose targets the file must still give.</param>
    /// <param name="classCount">The model's number of classes.</param>
    /// <exception cref="UsageException">An image to attack has no target (the first is named), a target is no class of the model or
    /// is the image's true label, or the file gives a resumed image another target than results.csv records.</exception>
    /// <exception cref="Adef.MLNet.DataFileException">The file is missing or malformed.</exception>
    public static int[]? For(string? path, ImageSource source, IReadOnlyList<int> todo, IReadOnlyList<ResultsCsv.Row> previous, int classCount)
    {
        if (path is null) return null;
        IReadOnlyDictionary<string, int> targets = LabelsCsv.ReadTargets(path);
        foreach (ResultsCsv.Row row in previous)
            if (row.Target is { } done && targets.TryGetValue(row.File, out int now) && now != done)
                throw new UsageException($"results.csv lists '{row.File}' with the target {done}, but --targets '{path}' gives it {now}; " +
                                         "resume with the same targets, or write to another --out.");
        var result = new int[todo.Count];
        for (int j = 0; j < todo.Count; j++)
        {
            string name = source.Names[todo[j]];
            if (!targets.TryGetValue(name, out int target))
                throw new UsageException($"--targets '{path}' has no row for '{name}': every image attacked needs a target " +
                                         "(file names relative to --images, as results.csv writes them).");
            if (target >= classCount)
                throw new UsageException($"--targets '{path}' gives '{name}' the target {target}, which is not a class of the model ({classCount} classes).");
            if (source.TrueLabels[todo[j]] == target)
                throw new UsageException($"--targets '{path}' gives '{name}' its true label {target} as the target; a target must be another class.");
            result[j] = target;
        }
        AnsiConsole.MarkupLine($"Targeted: each image must end on its target from {Markup.Escape(path)}.");
        return result;
    }
}
