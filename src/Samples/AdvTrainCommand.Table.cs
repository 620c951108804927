using Adef.MLNet.Training;
using Spectre.Console;

namespace Adef.Samples;

/// <summary>The advtrain table: each model's accuracy and attack success beside the paper's, and the training budgets.</summary>
internal static partial class AdvTrainCommand
{
    private static void PrintTable(IReadOnlyList<Row> rows, Settings settings, int testImages, int trainCount)
    {
        var table = new Table().Title($"Adversarially trained MNIST models: this run on {testImages} test digits (the paper in parentheses)");
        foreach (string column in new[] { "Model", "Adv. training", "Accuracy", "PGD success", "ADef success" })
            table.AddColumn(new TableColumn(column).RightAligned());
        foreach (Row row in rows)
            table.AddRow(row.Model, row.AdversarialTraining == nameof(AdversarialTraining.None) ? "none" : row.AdversarialTraining.ToUpperInvariant(),
                Cell(row.Accuracy, row.PaperAccuracy), Cell(row.PgdSuccess, row.PaperPgdSuccess), Cell(row.AdefSuccess, row.PaperAdefSuccess));
        AnsiConsole.Write(table);
        AnsiConsole.MarkupLine(Markup.Escape(
            $"Clean models: {settings.CleanEpochs} epochs of {(settings.CleanImagesPerEpoch is { } clean ? clean.ToString() : "all")} training images. " +
            "Adversarial models: fine-tuned from the clean weights (the paper trains from scratch), batch 50, each batch replaced by " +
            $"examples crafted against the current weights; PGD-trained: {PlannedBudget(settings, AdversarialTraining.Pgd, trainCount)}; " +
            $"ADef-trained: {PlannedBudget(settings, AdversarialTraining.Adef, trainCount)}. Evaluation: PGD ε 0.3, 40 × 0.01, random start; ADef with the " +
            "adversarial-training settings (‖τ‖_T ≤ 3 px, σ 1, candidates {1}, 40 iterations). Success rates count the correctly classified digits."));
    }

    /// <summary>The budget <paramref name="settings"/> ask of <paramref name="method"/>.</summary>
    private static string PlannedBudget(Settings settings, AdversarialTraining method, int trainCount)
    {
        TrainingOptions options = AdversarialOptions(settings, method);
        return Budget(options, options.Epochs, trainCount);
    }

    /// <summary>"8 epoch(s) × 20000 images, Adam 0.001 (…), PGD ε 0.3, 10 × 0.04" and the like.</summary>
    private static string Budget(TrainingOptions options, int epochs, int trainCount) =>
        $"{epochs} epoch(s) × {ImagesPerEpoch(options, trainCount)} images, {Recipe(options)}";

    /// <summary>Images an adversarial epoch draws: the option, capped by the training set.</summary>
    private static int ImagesPerEpoch(TrainingOptions options, int trainCount) => Math.Min(options.ImagesPerEpoch!.Value, trainCount);

    /// <summary>"12.34% (56.78%)": this run, then the paper's number; "–" for a rate over no attacked digits.</summary>
    private static string Cell(double value, double? paper) => (double.IsNaN(value) ? "–" : $"{value:0.00%}") + (paper is { } p ? $" ({p:0.00%})" : "");

    /// <summary>Times <paramref name="steps"/> training steps of clean, PGD and ADef training for each architecture.</summary>
}
