using System.CommandLine;

namespace Adef.Cli;

/// <summary>
/// The <c>report</c> command: the robustness report (report.md, report.html, report.json and figures) of a results.csv
/// that <c>adef attack</c> wrote. This file holds its options; <see cref="ReportRun"/> runs it.
/// </summary>
internal static class ReportCommand
{
    public static Command Create()
    {
        var results = new Option<string>("--results") { Description = "The attack's output folder, or its results.csv." };
        var output = new Option<string>("--out") { Description = "Output folder (default: report/ beside results.csv)." };
        var epsilon = new Option<double?>("--epsilon")
        {
            Description = "The budget ε the report rates success within: ADef ‖τ‖_T in pixels (default 3); DeepFool pixel ℓ2 in the model's input units (default none).",
        };
        var name = new Option<string>("--name") { Description = "The model's name in the title (default: the model file named in summary.json beside results.csv)." };
        var gate = new GateOptions();

        var command = new Command("report",
            "Write the robustness report of an attack's results.csv: report.md, report.html, report.json and PNG figures.\n" + ExitCodes.Help);
        foreach (Option option in (Option[])[results, output, epsilon, name, .. gate.All]) command.Options.Add(option);
        command.SetAction(parse => ReportRun.Execute(
            parse.GetValue(results), parse.GetValue(output), parse.GetValue(epsilon), parse.GetValue(name), gate.Read(parse)));
        return command;
    }
}
