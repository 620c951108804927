namespace Adef.MLNet.Evaluation;

/// <summary>What <see cref="RobustnessReportWriter.Write"/> wrote.</summary>
/// <param name="Files">Full paths of every file written, in the order written: the figures (PNG), then
/// <c>report.json</c>, <c>report.md</c> and <c>report.html</c>.</param>
/// <param name="Numbers">The numbers the report shows; serialise this instance into your own results file so that the
/// report and the file cannot disagree.</param>
public sealed record WrittenRobustnessReport(IReadOnlyList<string> Files, RobustnessReportNumbers Numbers)
{
    /// <summary>Full path of the Markdown report.</summary>
    public string MarkdownPath => Files.Single(f => Path.GetFileName(f) == RobustnessReportWriter.MarkdownFileName);

    /// <summary>Full path of the HTML report.</summary>
    public string HtmlPath => Files.Single(f => Path.GetFileName(f) == RobustnessReportWriter.HtmlFileName);
}
