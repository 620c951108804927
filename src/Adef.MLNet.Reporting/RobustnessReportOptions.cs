namespace Adef.MLNet.Evaluation;

/// <summary>Settings of <see cref="RobustnessReportWriter.Write"/>.</summary>
public sealed record RobustnessReportOptions
{
    /// <summary>The ADef budget ε in pixels of ‖τ‖_T: the report gives the share of attacked images fooled within it and
    /// marks it in the histogram and the success curve. Positive and finite; default 3 (the ADef paper's MNIST budget).</summary>
    public double Epsilon { get; init; } = 3;

    /// <summary>An optional DeepFool budget in pixel ℓ2 (input units), reported and marked like <see cref="Epsilon"/>;
    /// null (default) for none. Positive and finite when given.</summary>
    public double? DeepFoolEpsilon { get; init; }

    /// <summary>Points of each success-vs-budget curve, evenly spaced from 0 to the largest successful norm; at least 2,
    /// default 101.</summary>
    public int CurvePoints { get; init; } = 101;

    /// <summary>Rows of the curve table in the report (the curve's points are thinned evenly to this many, first and last
    /// kept); at least 2, default 11.</summary>
    public int CurveTableRows { get; init; } = 11;

    /// <summary>What the images are, shown under the title (e.g. "first 1000 MNIST test digits"); null or empty for nothing.</summary>
    public string? DatasetDescription { get; init; }

    /// <summary>Arrow spacing of the example grid in image pixels; 0 (default) picks it automatically.</summary>
    public int ArrowSpacing { get; init; }

    /// <summary>The default settings.</summary>
    public static RobustnessReportOptions Default { get; } = new();
}
