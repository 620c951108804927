using System.Net;
using System.Text;

namespace Adef.MLNet.Evaluation.Reporting;

/// <summary>Writes report blocks as one standalone HTML page; figures are <c>img</c> elements referring to the PNG files
/// beside the page by relative file name.</summary>
internal static class HtmlRenderer
{
    private const string Style =
        "body{font-family:'DejaVu Sans',Verdana,sans-serif;max-width:1320px;margin:2em auto;padding:0 1em;color:#222}" +
        "table{border-collapse:collapse;margin:0.5em 0 1.5em}th,td{border:1px solid #ccc;padding:0.25em 0.7em}" +
        "td{text-align:right}td:first-child,th:first-child{text-align:left}th{background:#f2f2f2}" +
        "figure{margin:0 0 2em}img{max-width:100%;height:auto;border:1px solid #eee}figcaption{color:#555;font-size:0.9em}";

    public static string Render(string title, IEnumerable<ReportBlock> blocks)
    {
        var html = new StringBuilder();
        html.AppendLine("<!DOCTYPE html>");
        html.AppendLine("<html lang=\"en\">");
        html.AppendLine("<head>");
        html.AppendLine("<meta charset=\"utf-8\">");
        html.Append("<title>").Append(Encode(title)).AppendLine("</title>");
        html.Append("<style>").Append(Style).AppendLine("</style>");
        html.AppendLine("</head>");
        html.AppendLine("<body>");
        foreach (ReportBlock block in blocks)
        {
            switch (block)
            {
                case Heading h:
                    html.Append("<h").Append(h.Level).Append('>').Append(Encode(h.Text)).Append("</h").Append(h.Level).AppendLine(">");
                    break;
                case Paragraph p:
                    html.Append("<p>").Append(Encode(p.Text)).AppendLine("</p>");
                    break;
                case Table t:
                    html.AppendLine("<table>");
                    html.Append("<thead><tr>").Append(string.Concat(t.Header.Select(c => $"<th>{Encode(c)}</th>"))).AppendLine("</tr></thead>");
                    html.AppendLine("<tbody>");
                    foreach (IReadOnlyList<string> row in t.Rows)
                    {
                        html.Append("<tr>").Append(string.Concat(row.Select(c => $"<td>{Encode(c)}</td>"))).AppendLine("</tr>");
                    }

                    html.AppendLine("</tbody>");
                    html.AppendLine("</table>");
                    break;
                case Figure f:
                    html.Append("<figure><img src=\"").Append(Encode(Uri.EscapeDataString(f.FileName))).Append("\" alt=\"").Append(Encode(f.Caption))
                        .Append("\" width=\"").Append(f.Width).Append("\" height=\"").Append(f.Height).Append("\">")
                        .Append("<figcaption>").Append(Encode(f.Caption)).AppendLine("</figcaption></figure>");
                    break;
                default:
                    throw new InvalidOperationException($"No HTML rendering for {block.GetType().Name}.");
            }
        }

        html.AppendLine("</body>");
        html.AppendLine("</html>");
        return html.ToString();
    }

    private static string Encode(string text) => WebUtility.HtmlEncode(text);
}
