using System.Globalization;
using Adef.Cluster;
using Adef.MLNet.Attacks;
using Adef.MLNet.Data;
using Spectre.Console;

namespace Adef.Cli;

/// <summary>Builds the attack's options from the command line and checks them with the library's own validation.</summary>
internal static class AttackOptionsBuilder
{
    /// <summary>The flag of each option property, for error messages. One flag, --candidates, sets ADef's ranks and DeepFool's
    /// count: the command line names one attack, so the flag's meaning is never in doubt there.</summary>
    private static readonly Dictionary<string, string> Flags = new()
    {
        [nameof(AttackSpec.Preset)] = "--preset", [nameof(AdefOptions.CandidateRanks)] = "--candidates", [nameof(DeepFoolOptions.CandidateCount)] = "--candidates",
        [nameof(AdefOptions.MaxIterations)] = "--max-iterations",
        [nameof(AdefOptions.MaxNorm)] = "--max-norm", [nameof(AdefOptions.Sigma)] = "--sigma",
        [nameof(AdefOptions.OvershootFactor)] = "--overshoot-factor", [nameof(DeepFoolOptions.OvershootFraction)] = "--overshoot-fraction",
        [nameof(AttackOptions.BatchSize)] = "--batch-size",
    };

    /// <summary>
    /// The attack in the plain values a cluster job carries (<see cref="AttackSpec"/>), from the command line and the input
    /// format (<paramref name="format"/> null: the model's default preprocessing). Both the single-process run and the
    /// cluster's workers build their options from it with <see cref="AttackSpec.BuildOptions"/>.
    /// </summary>
    /// <exception cref="UsageException">An option is malformed.</exception>
    public static AttackSpec Spec(AttackSettings s, InputFormat? format)
    {
        bool adef = s.AttackName == "adef";
        int[]? ranks = null;
        int? count = null;
        if (s.Candidates is not null && adef)
        {
            double[] values = CommandLineValues.ParseList("--candidates", s.Candidates);
            if (values.Any(r => r != Math.Floor(r))) throw new UsageException("--candidates must be whole ranks such as 1,2,3.");
            ranks = values.Select(r => (int)r).ToArray();
        }
        else if (s.Candidates is not null)
        {
            if (!int.TryParse(s.Candidates, NumberStyles.Integer, CultureInfo.InvariantCulture, out int k) || k < 2)
                throw new UsageException($"For DeepFool, --candidates is the number K ≥ 2 of top labels, not '{s.Candidates}'.");
            count = k;
        }
        bool linf = s.Norm.Trim().ToLowerInvariant() switch
        {
            "l2" => false,
            "linf" => true,
            _ => throw new UsageException($"--norm must be l2 or linf, not '{s.Norm}'."),
        };
        if (adef && s.OvershootFraction is not null)
            AnsiConsole.MarkupLine("[yellow]--overshoot-fraction applies to DeepFool only; ignored for ADef.[/]");
        if (!adef && (s.MaxNorm is not null || s.Sigma is not null || s.OvershootFactor is not null || s.RankTargeted))
            AnsiConsole.MarkupLine("[yellow]--max-norm, --sigma, --overshoot-factor and --rank-targeted apply to ADef only; ignored for DeepFool.[/]");
        ImagePreprocessing? p = format?.Preprocessing;
        return new AttackSpec(s.AttackName, adef ? s.Preset : null, ranks, count, s.MaxIterations, adef ? s.MaxNorm : null,
            adef ? s.Sigma : null, adef ? s.OvershootFactor : null, adef ? null : s.OvershootFraction, linf, s.BatchSize,
            p?.Order.ToString().ToLowerInvariant(), p?.Scale ?? 1, p?.Mean.ToArray(), p?.Std.ToArray(), s.Logits,
            adef && s.RankTargeted, s.ValidImages, !adef && s.NoClip);
    }

    /// <summary>ADef's or DeepFool's options, as <see cref="AttackSettings.AttackName"/> says.</summary>
    /// <exception cref="UsageException">An option is malformed or out of range.</exception>
    public static AttackOptions Build(AttackSettings s, int classCount, InputFormat? format) => Build(Spec(s, format), classCount);

    /// <summary>The options of <paramref name="spec"/>, checked by the library, with errors that name the flag.</summary>
    /// <exception cref="UsageException">An option is out of range.</exception>
    public static AttackOptions Build(AttackSpec spec, int classCount)
    {
        AttackOptions? options = null;
        Check(spec.Attack == "adef" ? "ADef" : "DeepFool", () => options = spec.BuildOptions(classCount));
        return options!;
    }

    public static AdefOptions BuildAdef(AttackSettings s, int classCount) => (AdefOptions)Build(s, classCount, null);

    public static DeepFoolOptions BuildDeepFool(AttackSettings s) => (DeepFoolOptions)Build(s, int.MaxValue, null);

    /// <summary>Runs the library's validation, turning its <see cref="ArgumentException"/> into a message naming the flag.</summary>
    private static void Check(string attack, Action validate)
    {
        try
        {
            validate();
        }
        catch (ArgumentException e)
        {
            string option = e.ParamName is not null && Flags.TryGetValue(e.ParamName, out string? flag) ? $" {flag}" : "";
            throw new UsageException($"Invalid {attack} option{option}: {e.Message}");
        }
    }
}
