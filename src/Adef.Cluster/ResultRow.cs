using System.Globalization;
using Adef.MLNet.Attacks;
using Orleans;

namespace Adef.Cluster;

/// <summary>
/// One image's result as a worker reports it: the fields of a row of the <c>adef attack</c> tool's results.csv
/// (<see cref="CsvHeader"/>), plus <see cref="Reason"/> for an image that could not be attacked.
/// </summary>
/// <param name="File">The image's name in the input list.</param>
/// <param name="OriginalLabel">The label of the clean image (-1 when the image could not be read).</param>
/// <param name="AdversarialLabel">The label of the attack's output (-1 when the image could not be read).</param>
/// <param name="Success">Whether the attack fooled the model.</param>
/// <param name="Outcome">An <see cref="Adef.MLNet.Attacks.AttackOutcome"/> name, or <see cref="Unreadable"/>.</param>
/// <param name="Iterations">The iterations the attack ran.</param>
/// <param name="TNorm">ADef's ‖τ‖_T; null for DeepFool.</param>
/// <param name="FieldL2">ADef's ℓ2 norm of the vector field; null for DeepFool.</param>
/// <param name="PixelL2">The ℓ2 norm of the pixel change.</param>
/// <param name="PixelLInf">The ℓ∞ norm of the pixel change.</param>
/// <param name="TrueLabel">The image's true label, if known.</param>
/// <param name="PngLabel">The label of the adversarial image rounded to PNG bytes (-1 when not computed).</param>
/// <param name="Target">The target label of a targeted run, or null.</param>
/// <param name="Reason">Why the image has no attack result (an unreadable file), or null.</param>
/// <param name="FoolsAfterRounding">With valid images, whether the returned (rounded) image fools, as the attack checked it;
/// otherwise null.</param>
/// <param name="Png">The adversarial image as PNG bytes (null for an unreadable file); the writer of results.csv saves it.</param>
[GenerateSerializer, Immutable]
[Alias("Adef.Cluster.ResultRow")]
public sealed record ResultRow(
    string File, int OriginalLabel, int AdversarialLabel, bool Success, string Outcome, int Iterations,
    double? TNorm, double? FieldL2, double PixelL2, double PixelLInf, int? TrueLabel, int PngLabel,
    int? Target = null, string? Reason = null, bool? FoolsAfterRounding = null, byte[]? Png = null)
{
    /// <summary>The outcome of an image whose file could not be decoded; the row's <see cref="Reason"/> says why.</summary>
    public const string Unreadable = "Unreadable";

    /// <summary>The columns of the CLI's results.csv, in order (without the optional target, rounding and name columns).</summary>
    public static IReadOnlyList<string> CsvHeader { get; } =
    [
        "file", "original_label", "adversarial_label", "success", "outcome", "iterations", "t_norm", "field_l2", "pixel_l2",
        "pixel_linf", "true_label", "clean_correct", "png_label",
    ];

    /// <summary>
    /// The row's fields as the CLI's results.csv writes them (invariant culture, numbers with 9 significant digits,
    /// <c>true</c>/<c>false</c>), followed by the target when there is one and, when <paramref name="validImagesColumn"/>,
    /// <see cref="FoolsAfterRounding"/> (empty when unknown).
    /// </summary>
    /// <param name="validImagesColumn">Whether results.csv has the column of <c>--valid-images</c>.</param>
    public IReadOnlyList<string> CsvFields(bool validImagesColumn = false)
    {
        var fields = new List<string>(14)
        {
            File,
            Integer(OriginalLabel),
            Integer(AdversarialLabel),
            Boolean(Success),
            Outcome,
            Integer(Iterations),
            TNorm is { } t ? Number(t) : "",
            FieldL2 is { } f ? Number(f) : "",
            Number(PixelL2),
            Number(PixelLInf),
            TrueLabel is { } truth ? Integer(truth) : "",
            TrueLabel is { } label && Outcome != Unreadable ? Boolean(label == OriginalLabel) : "",
            Integer(PngLabel),
        };
        if (Target is { } target) fields.Add(Integer(target));
        if (validImagesColumn) fields.Add(FoolsAfterRounding is { } fools ? Boolean(fools) : "");
        return fields;
    }

    /// <summary>The row of an attacked image.</summary>
    /// <param name="file">The image's name.</param>
    /// <param name="result">The attack's result.</param>
    /// <param name="trueLabel">Its true label, if known.</param>
    /// <param name="pngLabel">The label of the adversarial image rounded to PNG bytes.</param>
    /// <param name="png">The adversarial PNG's bytes, or null.</param>
    public static ResultRow Of(string file, AttackResult result, int? trueLabel, int pngLabel, byte[]? png = null)
    {
        ArgumentNullException.ThrowIfNull(result);
        var adef = result as AdefResult;
        return new ResultRow(file, result.OriginalLabel, result.AdversarialLabel, result.Success, result.Outcome.ToString(),
            result.Iterations, adef?.TNorm, adef?.FieldL2, result.PixelL2, result.PixelLInf, trueLabel, pngLabel, result.Target, null,
            result.FoolsAfterRounding, png);
    }

    /// <summary>The row of an image that could not be read: no labels, no norms, the reason kept.</summary>
    /// <param name="file">The image's name.</param>
    /// <param name="trueLabel">Its true label, if known.</param>
    /// <param name="reason">Why it could not be read.</param>
    /// <param name="target">Its target in a targeted run, or null.</param>
    public static ResultRow ForUnreadable(string file, int? trueLabel, string reason, int? target = null) =>
        new(file, -1, -1, false, Unreadable, 0, null, null, double.NaN, double.NaN, trueLabel, -1, target, reason);

    private static string Integer(int value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Boolean(bool value) => value ? "true" : "false";

    private static string Number(double value) => value.ToString("G9", CultureInfo.InvariantCulture);
}
