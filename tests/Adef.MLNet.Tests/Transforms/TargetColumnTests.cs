using Adef.MLNet.Attacks;
using Adef.MLNet.Transforms;
using Adef.MLNet.Tests.TestSupport;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace Adef.MLNet.Tests.Transforms;

/// <summary>
/// <see cref="AttackTransformOptions.TargetLabelColumnName"/>: a column of target labels makes the transform's attack
/// targeted, read like the true-label column (numbers or keys), row by row as well as in batches.
/// </summary>
public class TargetColumnTests
{
    private const int ImageSize = QuadrantBlobs.Size * QuadrantBlobs.Size, Count = 12;
    private static readonly string[] Quadrants = ["top left", "top right", "bottom left", "bottom right"];
    private static readonly DeepFoolOptions Attack = new() { CandidateCount = 4 };

    public sealed class Row
    {
        [VectorType(ImageSize)] public float[] Pixels { get; set; } = [];
        public int Label { get; set; }
        public int Target { get; set; }
        public string TargetName { get; set; } = "";
    }

    public sealed class Output
    {
        public int Target { get; set; }
        public float[] AdversarialPixels { get; set; } = [];
        public int AdversarialLabel { get; set; }
        public bool Success { get; set; }
        public int Iterations { get; set; }
    }

    /// <summary>What the key test compares: with class names the label columns are keys.</summary>
    public sealed class Outcome
    {
        public float[] AdversarialPixels { get; set; } = [];
        public bool Success { get; set; }
        public int Iterations { get; set; }
    }

    /// <summary>Rows whose target is the diagonally opposite quadrant of their label, named by the first row with class 3
    /// so that MapValueToKey's numbering differs from the class order.</summary>
    private static Row[] Rows()
    {
        var data = QuadrantBlobs.Generate(Count + 8, seed: 5);
        int[] order = Enumerable.Range(0, data.Count).OrderBy(i => data.Labels[i] == 0 ? 0 : 1).Take(Count).ToArray();
        return order.Select(i => new Row
        {
            Pixels = data.Pixels.AsSpan(i * ImageSize, ImageSize).ToArray(),
            Label = data.Labels[i],
            Target = 3 - data.Labels[i],
            TargetName = Quadrants[3 - data.Labels[i]],
        }).ToArray();
    }

    private static T[] Transform<T>(MLContext ml, IDataView data, string targetColumn, IReadOnlyList<string>? classNames = null)
        where T : class, new()
    {
        var options = new DeepFoolTransformOptions
        {
            Attack = Attack with { BatchSize = 5 }, OutputColumnName = "AdversarialPixels", LabelColumnName = "Label", TargetLabelColumnName = targetColumn, ClassNames = classNames,
        };
        IDataView attacked = ml.Transforms.DeepFool(QuadrantBlobs.Classifier, options: options).Fit(data).Transform(data);
        return ml.Data.CreateEnumerable<T>(attacked, reuseRowObject: false).ToArray();
    }

    // Fails if the transform ignores the target column (the attack is then untargeted and stops at the nearer quadrant).
    [Fact]
    public void TheColumnsEqualTheDirectTargetedAttackInBatches()
    {
        var ml = new MLContext(seed: 1);
        Row[] rows = Rows();
        Output[] actual = Transform<Output>(ml, ml.Data.LoadFromEnumerable(rows), "Target");
        PerturbationResult[] expected = rows.Chunk(5)
            .SelectMany(batch => new DeepFoolAttack(QuadrantBlobs.Classifier, Attack).Run(
                batch.SelectMany(r => r.Pixels).ToArray(), batch.Select(r => r.Label).ToArray(), batch.Select(r => r.Target).ToArray()))
            .ToArray();

        Assert.True(expected.Count(r => r.Success) >= Count / 2, "the comparison needs reached targets");
        for (int i = 0; i < rows.Length; i++)
        {
            Assert.Equal(rows[i].Target, actual[i].Target); // passed through
            Assert.Equal(expected[i].AdversarialImage, actual[i].AdversarialPixels);
            Assert.Equal((expected[i].AdversarialLabel, expected[i].Success, expected[i].Iterations),
                (actual[i].AdversarialLabel, actual[i].Success, actual[i].Iterations));
            if (actual[i].Success) Assert.Equal(rows[i].Target, actual[i].AdversarialLabel);
        }
    }

    [Fact]
    public void AKeyTargetColumnIsReadByItsKeyValuesAsTrueLabelsAre()
    {
        var ml = new MLContext(seed: 1);
        IDataView data = ml.Data.LoadFromEnumerable(Rows());
        IDataView keyed = ml.Transforms.Conversion.MapValueToKey("TargetKey", "TargetName").Fit(data).Transform(data);

        Outcome[] byIndex = Transform<Outcome>(ml, data, "Target", Quadrants), byKey = Transform<Outcome>(ml, keyed, "TargetKey", Quadrants);

        Assert.Contains(byIndex, r => r.Success);
        for (int i = 0; i < byIndex.Length; i++)
        {
            Assert.Equal((byIndex[i].Success, byIndex[i].Iterations), (byKey[i].Success, byKey[i].Iterations));
            Assert.Equal(byIndex[i].AdversarialPixels, byKey[i].AdversarialPixels);
        }
    }

    [Fact]
    public void APredictionEngineAttacksOneRowTowardsItsTarget()
    {
        var ml = new MLContext(seed: 1);
        Row[] rows = Rows().Take(3).ToArray();
        var options = new DeepFoolTransformOptions { Attack = Attack, OutputColumnName = "AdversarialPixels", TargetLabelColumnName = "Target" };
        var model = ml.Transforms.DeepFool(QuadrantBlobs.Classifier, options: options).Fit(ml.Data.LoadFromEnumerable(rows));

        var engine = ml.Model.CreatePredictionEngine<Row, Output>(model);
        foreach (Row row in rows)
        {
            PerturbationResult expected = new DeepFoolAttack(QuadrantBlobs.Classifier, Attack).Run(row.Pixels, targets: [row.Target])[0];
            Output actual = engine.Predict(row);
            Assert.Equal(expected.AdversarialImage, actual.AdversarialPixels);
            Assert.Equal((expected.AdversarialLabel, expected.Success), (actual.AdversarialLabel, actual.Success));
        }
    }

    [Fact]
    public void AMissingTargetColumnIsNamedWithTheExpectedType()
    {
        var ml = new MLContext(seed: 1);
        IDataView data = ml.Data.LoadFromEnumerable(Rows());

        var error = Assert.Throws<ArgumentOutOfRangeException>(() => Transform<Output>(ml, data, "Wanted"));
        Assert.Contains("column 'Wanted' was not found", error.Message);
        Assert.Contains("scalar label column", error.Message);
    }

    [Fact]
    public void ATargetEqualToTheTrueLabelIsRefusedNamingTheRow()
    {
        var ml = new MLContext(seed: 1);
        Row[] rows = Rows();
        rows[7].Target = rows[7].Label;

        var error = Assert.Throws<InvalidOperationException>(() => Transform<Output>(ml, ml.Data.LoadFromEnumerable(rows), "Target"));
        Assert.Contains("'Target' holds", error.Message);
        Assert.Contains("row 7", error.Message);
        Assert.Contains("'Label'", error.Message);
    }
}
