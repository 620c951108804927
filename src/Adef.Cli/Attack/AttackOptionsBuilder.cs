using System.Globalization;
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
        [nameof(AdefOptions.CandidateRanks)] = "--candidates", [nameof(DeepFoolOptions.CandidateCount)] = "--candidates",
        [nameof(AdefOptions.MaxIterations)] = "--max-iterations",
        [nameof(AdefOptions.MaxNorm)] = "--max-norm", [nameof(AdefOptions.Sigma)] = "--sigma",
        [nameof(AdefOptions.OvershootFactor)] = "--overshoot-factor", [nameof(DeepFoolOptions.OvershootFraction)] = "--overshoot-fraction",
        [nameof(AttackOptions.BatchSize)] = "--batch-size",
    };

    /// <summary>ADef's or DeepFool's options, as <see cref="AttackSettings.AttackName"/> says.</summary>
    /// <exception cref="UsageException">An option is malformed or out of range.</exception>
    public static AttackOptions Build(AttackSettings s, int classCount, InputFormat format) =>
        s.AttackName == "adef" ? BuildAdef(s, classCount) : BuildDeepFool(s);

    public static AdefOptions BuildAdef(AttackSettings s, int classCount)
    {
        AdefOptions options = s.Preset?.Trim().ToLowerInvariant() switch
        {
            null => new AdefOptions(),
            "mnist" => AdefOptions.Mnist,
            "imagenet" => AdefOptions.ImageNet,
            _ => throw new UsageException($"--preset must be mnist or imagenet, not '{s.Preset}'."),
        };
        if (s.Candidates is not null)
        {
            double[] ranks = CommandLineValues.ParseList("--candidates", s.Candidates);
            if (ranks.Any(r => r != Math.Floor(r))) throw new UsageException("--candidates must be whole ranks such as 1,2,3.");
            options = options with { CandidateRanks = ranks.Select(r => (int)r).ToArray() };
        }
        else if (options.CandidateRanks.Max() >= classCount)
        {
            options = options with { CandidateRanks = options.CandidateRanks.Where(r => r < classCount).ToArray() };
        }
        if (s.MaxIterations is { } it) options = options with { MaxIterations = it };
        if (s.MaxNorm is { } mn) options = options with { MaxNorm = mn };
        if (s.Sigma is { } sg) options = options with { Sigma = sg };
        if (s.OvershootFactor is { } os) options = options with { OvershootFactor = os };
        if (s.RankTargeted) options = options with { RankTargeted = true };
        options = options with { BatchSize = s.BatchSize, ValidImages = s.ValidImages };
        if (s.OvershootFraction is not null)
            AnsiConsole.MarkupLine("[yellow]--overshoot-fraction applies to DeepFool only; ignored for ADef.[/]");
        Check("ADef", () => options.Validate(classCount));
        return options;
    }

    public static DeepFoolOptions BuildDeepFool(AttackSettings s)
    {
        var options = new DeepFoolOptions { BatchSize = s.BatchSize, ValidImages = s.ValidImages };
        if (s.NoClip) options = options with { ClipMin = float.NegativeInfinity, ClipMax = float.PositiveInfinity };
        options = options with
        {
            Norm = s.Norm.Trim().ToLowerInvariant() switch
            {
                "l2" => DeepFoolNorm.L2,
                "linf" => DeepFoolNorm.LInf,
                _ => throw new UsageException($"--norm must be l2 or linf, not '{s.Norm}'."),
            },
        };
        if (s.Candidates is not null)
        {
            if (!int.TryParse(s.Candidates, NumberStyles.Integer, CultureInfo.InvariantCulture, out int k) || k < 2)
                throw new UsageException($"For DeepFool, --candidates is the number K ≥ 2 of top labels, not '{s.Candidates}'.");
            options = options with { CandidateCount = k };
        }
        if (s.MaxIterations is { } it) options = options with { MaxIterations = it };
        if (s.OvershootFraction is { } os) options = options with { OvershootFraction = os };
        if (s.MaxNorm is not null || s.Sigma is not null || s.OvershootFactor is not null || s.RankTargeted)
            AnsiConsole.MarkupLine("[yellow]--max-norm, --sigma, --overshoot-factor and --rank-targeted apply to ADef only; ignored for DeepFool.[/]");
        Check("DeepFool", options.Validate);
        return options;
    }

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
