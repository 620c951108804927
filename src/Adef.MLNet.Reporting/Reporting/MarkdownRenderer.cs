using System.Text;

namespace Adef.MLNet.Evaluation.Reporting;

/// <summary>Writes report blocks as GitHub-flavoured Markdown; figures are linked by file name (beside the report).</summary>
internal static class MarkdownRenderer
{
    public static string Render(IEnumerable<ReportBlock> blocks)
    {
        var text = new StringBuilder();
        foreach (ReportBlock block in blocks)
        {
            switch (block)
            {
                case Heading h:
                    text.Append('#', h.Level).Append(' ').AppendLine(Escape(h.Text));
                    break;
                case Paragraph p:
                    text.AppendLine(Escape(p.Text));
                    break;
                case Table t:
                    AppendRow(text, t.Header);
                    text.Append('|').Append(string.Concat(t.Header.Select((_, i) => i == 0 ? "---|" : "---:|"))).AppendLine();
                    foreach (IReadOnlyList<string> row in t.Rows)
                    {
                        AppendRow(text, row);
                    }

                    break;
                case Figure f:
                    text.Append("![").Append(Escape(f.Caption)).Append("](").Append(Uri.EscapeDataString(f.FileName)).AppendLine(")");
                    text.AppendLine();
                    text.Append('*').Append(Escape(f.Caption)).AppendLine("*");
                    break;
                default:
                    throw new InvalidOperationException($"No Markdown rendering for {block.GetType().Name}.");
            }

            text.AppendLine();
        }

        return text.ToString();
    }

    private static void AppendRow(StringBuilder text, IReadOnlyList<string> cells)
    {
        text.Append('|');
        foreach (string cell in cells)
        {
            text.Append(' ').Append(Escape(cell).Replace("|", "\\|", StringComparison.Ordinal)).Append(" |");
        }

        text.AppendLine();
    }

    /// <summary>Escapes the characters Markdown would read as formatting (the report's text uses "_" in ‖τ‖_T and "*" never).</summary>
    private static string Escape(string text)
    {
        var escaped = new StringBuilder(text.Length);
        foreach (char c in text)
        {
            if (c is '\\' or '_' or '*' or '`' or '[' or ']' or '<' or '>' or '#')
            {
                escaped.Append('\\');
            }

            escaped.Append(c);
        }

        return escaped.ToString();
    }
}
