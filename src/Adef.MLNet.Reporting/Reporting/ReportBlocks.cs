namespace Adef.MLNet.Evaluation.Reporting;

/// <summary>One piece of a report, rendered the same way to Markdown and HTML.</summary>
internal abstract record ReportBlock;

/// <summary>A section heading; <paramref name="Level"/> 1 is the title.</summary>
internal sealed record Heading(int Level, string Text) : ReportBlock;

/// <summary>A paragraph of plain text.</summary>
internal sealed record Paragraph(string Text) : ReportBlock;

/// <summary>A table with a header row; the first column names the row.</summary>
internal sealed record Table(IReadOnlyList<string> Header, IReadOnlyList<IReadOnlyList<string>> Rows) : ReportBlock;

/// <summary>A PNG beside the report, shown at its pixel size.</summary>
internal sealed record Figure(string FileName, string Caption, int Width, int Height) : ReportBlock;
