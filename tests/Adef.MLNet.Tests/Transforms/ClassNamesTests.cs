using Adef.MLNet.Attacks;
using Adef.MLNet.Evaluation;
using Adef.MLNet.Transforms;
using Adef.MLNet.Tests.TestSupport;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace Adef.MLNet.Tests.Transforms;

/// <summary>With <see cref="AttackTransformOptions.ClassNames"/> the label columns are ML.NET keys named by the classes.</summary>
public class ClassNamesTests
{
    private const int ImageSize = QuadrantBlobs.Size * QuadrantBlobs.Size;
    private static readonly string[] Quadrants = ["top left", "top right", "bottom left", "bottom right"];
    private static readonly AdefOptions Attack = new() { CandidateRanks = [1, 2, 3], MaxIterations = 50, Sigma = 0.5, OvershootFactor = 1.2 };

    public sealed class PixelRow
    {
        [VectorType(ImageSize)] public float[] Pixels { get; set; } = [];
        public int Label { get; set; }
    }

    public sealed class NamedRow
    {
        public uint OriginalLabel { get; set; }
        public uint AdversarialLabel { get; set; }
        public string OriginalName { get; set; } = "";
        public string AdversarialName { get; set; } = "";
    }

    public sealed class IndexRow
    {
        public int OriginalLabel { get; set; }
        public int AdversarialLabel { get; set; }
    }

    private static IDataView Data(MLContext ml, int count)
    {
        var data = QuadrantBlobs.Generate(count, seed: 5);
        return ml.Data.LoadFromEnumerable(Enumerable.Range(0, count).Select(i => new PixelRow
        {
            Pixels = data.Pixels.AsSpan(i * ImageSize, ImageSize).ToArray(),
            Label = data.Labels[i],
        }).ToArray());
    }

    [Fact]
    public void LabelColumnsAreKeysWhoseValuesAreTheClassNames()
    {
        var ml = new MLContext(seed: 1);
        IDataView data = Data(ml, 9);
        var named = new AdefTransformOptions { Attack = Attack with { BatchSize = 9 }, ClassNames = Quadrants };
        var plain = new AdefTransformOptions { Attack = Attack with { BatchSize = 9 } };

        IDataView attacked = ml.Transforms.Adef(QuadrantBlobs.Classifier, options: named).Fit(data).Transform(data);
        Assert.Equal(new KeyDataViewType(typeof(uint), 4), attacked.Schema["OriginalLabel"].Type);
        VBuffer<ReadOnlyMemory<char>> keyValues = default;
        attacked.Schema["AdversarialLabel"].GetKeyValues(ref keyValues);
        Assert.Equal(Quadrants, keyValues.DenseValues().Select(v => v.ToString()));

        IDataView withNames = ml.Transforms.Conversion.MapKeyToValue("OriginalName", "OriginalLabel")
            .Append(ml.Transforms.Conversion.MapKeyToValue("AdversarialName", "AdversarialLabel"))
            .Fit(attacked).Transform(attacked);
        NamedRow[] rows = ml.Data.CreateEnumerable<NamedRow>(withNames, reuseRowObject: false).ToArray();
        IndexRow[] indices = ml.Data.CreateEnumerable<IndexRow>(
            ml.Transforms.Adef(QuadrantBlobs.Classifier, options: plain).Fit(data).Transform(data), reuseRowObject: false).ToArray();

        Assert.Equal(indices.Length, rows.Length);
        Assert.Contains(indices, r => r.OriginalLabel != r.AdversarialLabel);
        for (int i = 0; i < rows.Length; i++)
        {
            Assert.Equal((uint)indices[i].OriginalLabel + 1, rows[i].OriginalLabel);
            Assert.Equal((uint)indices[i].AdversarialLabel + 1, rows[i].AdversarialLabel);
            Assert.Equal(Quadrants[indices[i].OriginalLabel], rows[i].OriginalName);
            Assert.Equal(Quadrants[indices[i].AdversarialLabel], rows[i].AdversarialName);
        }

        RobustnessReport fromKeys = RobustnessReport.FromDataView(attacked, "Label", named);
        RobustnessReport fromIndices = RobustnessReport.FromDataView(
            ml.Transforms.Adef(QuadrantBlobs.Classifier, options: plain).Fit(data).Transform(data), "Label", plain);
        Assert.Equal(fromIndices.Accuracy, fromKeys.Accuracy);
        Assert.Equal(fromIndices.SuccessRate, fromKeys.SuccessRate);
    }

    [Fact]
    public void EstimatorShapeMarksTheLabelColumnsAsKeysWithKeyValues()
    {
        var ml = new MLContext(seed: 1);
        IDataView data = Data(ml, 1);
        var estimator = ml.Transforms.DeepFool(QuadrantBlobs.Classifier, options: new DeepFoolTransformOptions { ClassNames = Quadrants });
        SchemaShape inputShape = SchemaShapes.Of(data.Schema);

        SchemaShape shape = estimator.GetOutputSchema(inputShape);

        foreach (string name in new[] { "OriginalLabel", "AdversarialLabel" })
        {
            SchemaShape.Column column = shape.Single(c => c.Name == name);
            Assert.True(column.IsKey, $"{name} should be a key column");
            Assert.Contains(column.Annotations, a => a.Name == "KeyValues");
        }
        Assert.False(shape.Single(c => c.Name == "Iterations").IsKey);
    }

    [Theory]
    [InlineData(3)]
    [InlineData(5)]
    public void ClassNamesOfTheWrongCountAreRefusedWithBothCounts(int count)
    {
        var ml = new MLContext(seed: 1);
        var options = new AdefTransformOptions { ClassNames = Quadrants.Concat(["extra"]).Take(count).ToArray() };
        var error = Assert.Throws<ArgumentException>(() => ml.Transforms.Adef(QuadrantBlobs.Classifier, options: options));
        Assert.Contains($"{count} names", error.Message);
        Assert.Contains("4 classes", error.Message);
    }

    [Fact]
    public void AnEmptyClassNameIsRefusedWithItsIndex()
    {
        var ml = new MLContext(seed: 1);
        var options = new DeepFoolTransformOptions { ClassNames = ["a", "b", "", "d"] };
        var error = Assert.Throws<ArgumentException>(() => ml.Transforms.DeepFool(QuadrantBlobs.Classifier, options: options));
        Assert.Contains("ClassNames[2]", error.Message);
    }
}
