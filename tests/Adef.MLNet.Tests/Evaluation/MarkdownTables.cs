using System.Text;

namespace Adef.MLNet.Tests.Evaluation;

/// <summary>Reads the pipe tables of a Markdown document back into cells, undoing backslash escapes.</summary>
internal static class MarkdownTables
{
    /// <summary>Every table, in document order: its header cells and its body rows.</summary>
    public static List<(string[] Header, List<string[]> Rows)> Parse(string markdown)
    {
        var tables = new List<(string[] Header, List<string[]> Rows)>();
        string[] lines = markdown.Split('\n').Select(l => l.TrimEnd('\r')).ToArray();
        for (int i = 0; i + 1 < lines.Length; i++)
        {
            if (!lines[i].StartsWith('|') || !lines[i + 1].StartsWith("|---", StringComparison.Ordinal))
            {
                continue;
            }

            string[] header = Cells(lines[i]);
            var rows = new List<string[]>();
            int j = i + 2;
            for (; j < lines.Length && lines[j].StartsWith('|'); j++)
            {
                string[] row = Cells(lines[j]);
                Assert.Equal(header.Length, row.Length);
                rows.Add(row);
            }

            tables.Add((header, rows));
            i = j;
        }

        return tables;
    }

    /// <summary>A table's rows as row label (first cell) → the other cells.</summary>
    public static Dictionary<string, string[]> ByRowLabel((string[] Header, List<string[]> Rows) table) =>
        table.Rows.ToDictionary(r => r[0], r => r[1..]);

    private static string[] Cells(string line)
    {
        var cells = new List<string>();
        var cell = new StringBuilder();
        for (int k = 1; k < line.Length; k++)
        {
            char c = line[k];
            if (c == '\\' && k + 1 < line.Length)
            {
                cell.Append(line[++k]);
            }
            else if (c == '|')
            {
                cells.Add(cell.ToString().Trim());
                cell.Clear();
            }
            else
            {
                cell.Append(c);
            }
        }

        return cells.ToArray();
    }
}
