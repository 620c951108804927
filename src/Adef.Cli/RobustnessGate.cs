using System.CommandLine;
using System.Globalization;
using Adef.MLNet.Evaluation;

namespace Adef.Cli;

/// <summary>The robustness gate failed: one line on stderr and exit code 2 (<see cref="ExitCodes.GateFailed"/>), after the
/// command wrote everything it writes.</summary>
internal sealed class GateFailedException(string message) : Exception(message);

/// <summary>
/// The validation gate of <c>adef attack</c> and <c>adef report</c>: fail the run when the attack succeeds too often or the
/// model is not accurate enough, so that a build pipeline stops a fragile model.
/// </summary>
/// <param name="MaxSuccessRate"><c>--fail-if-success-above</c>: the largest success rate that passes, in [0, 1].</param>
/// <param name="Budget"><c>--budget</c>: count only successes with a norm ≤ this (‖τ‖_T px for ADef, pixel ℓ2 for DeepFool).</param>
/// <param name="MinAccuracy"><c>--fail-if-accuracy-below</c>: the smallest accuracy that passes, in [0, 1].</param>
internal sealed record RobustnessGate(double? MaxSuccessRate, double? Budget, double? MinAccuracy)
{
    /// <summary>No gate.</summary>
    public static RobustnessGate None { get; } = new(null, null, null);

    /// <summary>Whether any threshold is set.</summary>
    public bool IsSet => MaxSuccessRate is not null || MinAccuracy is not null;

    /// <summary>Checks the thresholds before anything runs.</summary>
    /// <exception cref="UsageException">A rate outside [0, 1], a negative or non-finite budget, or --budget alone.</exception>
    public void Validate()
    {
        if (MaxSuccessRate is { } s && !(s is >= 0 and <= 1))
            throw new UsageException($"--fail-if-success-above must be a rate in [0, 1], not {Format(s)}.");
        if (MinAccuracy is { } a && !(a is >= 0 and <= 1))
            throw new UsageException($"--fail-if-accuracy-below must be a rate in [0, 1], not {Format(a)}.");
        if (Budget is { } b && !(b >= 0 && double.IsFinite(b)))
            throw new UsageException($"--budget must be a finite norm ≥ 0, not {Format(b)}.");
        if (Budget is not null && MaxSuccessRate is null)
            throw new UsageException("--budget applies to --fail-if-success-above; give that too.");
    }

    /// <summary>Prints one line on stdout when the gate passes; throws when it fails.</summary>
    /// <param name="report">The numbers of the whole results.csv.</param>
    /// <exception cref="GateFailedException">A threshold is crossed, or a measure it needs is undefined.</exception>
    public void Enforce(RobustnessReport report)
    {
        if (!IsSet) return;
        var passed = new List<string>();
        var failed = new List<string>();
        if (MaxSuccessRate is { } maxRate)
        {
            double rate = Budget is { } b ? report.SuccessRateWithin(b) : report.SuccessRate;
            string what = Budget is { } budget ? $"success rate within {report.NormName} ≤ {Format(budget)}{(report.IsDeformation ? " px" : "")}" : "success rate";
            int fooled = (int)Math.Round(rate * report.Summary.Attacked);
            if (double.IsNaN(rate)) failed.Add($"{what} is undefined: no image was attacked (all {report.Summary.Images} misclassified)");
            else if (rate > maxRate) failed.Add($"{what} is {Format(rate)} ({fooled} of {report.Summary.Attacked} attacked images), above --fail-if-success-above {Format(maxRate)}");
            else passed.Add($"{what} {Format(rate)} ≤ {Format(maxRate)}");
        }
        if (MinAccuracy is { } minAccuracy)
        {
            double accuracy = report.Accuracy;
            RequireLabels(report.LabelledImages);
            int correct = (int)Math.Round(accuracy * report.LabelledImages);
            if (accuracy < minAccuracy) failed.Add($"accuracy is {Format(accuracy)} ({correct} of {report.LabelledImages} labelled images), below --fail-if-accuracy-below {Format(minAccuracy)}");
            else passed.Add($"accuracy {Format(accuracy)} ≥ {Format(minAccuracy)}");
        }
        if (failed.Count > 0) throw new GateFailedException("gate failed: " + string.Join("; ", failed));
        // Plain Console rather than AnsiConsole, which wraps at the terminal's width: CI logs get the verdict on one line.
        Console.WriteLine("gate passed: " + string.Join("; ", passed));
    }

    /// <summary>Refuses an accuracy gate over images without true labels, where accuracy is undefined.</summary>
    /// <param name="labelled">How many images have a true label.</param>
    /// <exception cref="UsageException">An accuracy threshold is set and no image is labelled.</exception>
    public void RequireLabels(int labelled)
    {
        if (MinAccuracy is not null && labelled == 0)
            throw new UsageException("--fail-if-accuracy-below needs true labels (--labels, or a true_label column in results.csv); no image has one.");
    }

    private static string Format(double value) => value.ToString("G6", CultureInfo.InvariantCulture);
}

/// <summary>The gate's three options, shared by the commands that have them.</summary>
internal sealed class GateOptions
{
    private readonly Option<double?> _maxSuccess = new("--fail-if-success-above")
    {
        Description = "Gate: exit 2 if the attack's success rate (within --budget, if given) is above this rate in [0, 1]; results are still written.",
    };

    private readonly Option<double?> _budget = new("--budget")
    {
        Description = "Gate: count only successes with a norm ≤ this: ADef ‖τ‖_T in pixels, DeepFool pixel ℓ2 in the model's input units.",
    };

    private readonly Option<double?> _minAccuracy = new("--fail-if-accuracy-below")
    {
        Description = "Gate: exit 2 if the clean accuracy over the labelled images is below this rate in [0, 1] (needs labels).",
    };

    /// <summary>The options, to add to a command.</summary>
    public IEnumerable<Option> All => [_maxSuccess, _budget, _minAccuracy];

    /// <summary>The gate the command line asks for.</summary>
    public RobustnessGate Read(ParseResult parse) => new(parse.GetValue(_maxSuccess), parse.GetValue(_budget), parse.GetValue(_minAccuracy));
}
