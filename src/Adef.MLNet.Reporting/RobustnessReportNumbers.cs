namespace Adef.MLNet.Evaluation;

/// <summary>
/// Every number a robustness report shows. <see cref="RobustnessReportWriter"/> writes the Markdown and HTML tables and
/// the curves from this object only, and serialises it to <c>report.json</c>; serialise the same instance into your own
/// results file and the two cannot disagree.
/// </summary>
/// <remarks>Rates are fractions in [0, 1]; NaN marks a number that does not exist (no labels, no attacked image, no
/// successful attack). Serialise with <c>JsonNumberHandling.AllowNamedFloatingPointLiterals</c> for those.</remarks>
public sealed record RobustnessReportNumbers
{
    /// <summary>The model's name as given to <see cref="RobustnessReportWriter.Write"/>.</summary>
    public required string Model { get; init; }

    /// <summary>What the images are (<see cref="RobustnessReportOptions.DatasetDescription"/>), or null.</summary>
    public string? Dataset { get; init; }

    /// <summary>Images in the run.</summary>
    public required int Images { get; init; }

    /// <summary>Images whose true label was known; 0 when none were given.</summary>
    public required int LabelledImages { get; init; }

    /// <summary>Fraction of the labelled images the model classified correctly; NaN without labels.</summary>
    public required double Accuracy { get; init; }

    /// <summary>The ADef numbers, norms in ‖τ‖_T pixels; null when no ADef report was given (a DeepFool-only report).</summary>
    public AttackReportNumbers? Adef { get; init; }

    /// <summary>The DeepFool numbers, norms in pixel ℓ2; null when no DeepFool report was given.</summary>
    public AttackReportNumbers? DeepFool { get; init; }

    /// <summary>Collects the numbers of <paramref name="adef"/> and <paramref name="deepFool"/> (validated by the caller: at
    /// least one is given, and both cover the same images).</summary>
    internal static RobustnessReportNumbers From(string model, RobustnessReport? adef, RobustnessReport? deepFool, RobustnessReportOptions options)
    {
        // Accuracy is the model's, not an attack's: take it from whichever report knows the labels.
        RobustnessReport labels = adef is { LabelledImages: > 0 } || deepFool is null ? adef! : deepFool;
        return new RobustnessReportNumbers
        {
            Model = model,
            Dataset = string.IsNullOrWhiteSpace(options.DatasetDescription) ? null : options.DatasetDescription,
            Images = (adef ?? deepFool)!.Summary.Images,
            LabelledImages = labels.LabelledImages,
            Accuracy = labels.Accuracy,
            Adef = adef is null ? null : AttackReportNumbers.From("ADef", adef, options.Epsilon, options.CurvePoints),
            DeepFool = deepFool is null ? null : AttackReportNumbers.From("DeepFool", deepFool, options.DeepFoolEpsilon, options.CurvePoints),
        };
    }
}
