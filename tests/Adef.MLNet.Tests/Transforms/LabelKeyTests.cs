using Adef.MLNet.Attacks;
using Adef.MLNet.Transforms;
using Adef.MLNet.Tests.TestSupport;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace Adef.MLNet.Tests.Transforms;

/// <summary>
/// A key-typed true-label column is read by its key values: <c>MapValueToKey</c> numbers keys by first occurrence, so
/// key value 1 is class 0 only by chance.
/// </summary>
public class LabelKeyTests
{
    private const int ImageSize = QuadrantBlobs.Size * QuadrantBlobs.Size, Count = 16;
    private static readonly string[] Quadrants = ["top left", "top right", "bottom left", "bottom right"];

    public sealed class Row
    {
        [VectorType(ImageSize)] public float[] Pixels { get; set; } = [];
        public int Label { get; set; }
        public string Name { get; set; } = "";
        public string Alias { get; set; } = "";
    }

    public sealed class Output
    {
        public bool Success { get; set; }
        public int Iterations { get; set; }
    }

    /// <summary>Rows whose first label is class 2, so that occurrence order does not match class order; one row in
    /// four carries a wrong label, so that the true labels matter.</summary>
    private static IDataView Data(MLContext ml)
    {
        var data = QuadrantBlobs.Generate(Count + 8, seed: 11);
        int[] order = Enumerable.Range(0, data.Count).OrderBy(i => data.Labels[i] == 2 ? 0 : 1).Take(Count).ToArray();
        return ml.Data.LoadFromEnumerable(order.Select((i, j) =>
        {
            int label = j % 4 == 3 ? (data.Labels[i] + 1) % 4 : data.Labels[i];
            return new Row
            {
                Pixels = data.Pixels.AsSpan(i * ImageSize, ImageSize).ToArray(),
                Label = label,
                Name = Quadrants[label],
                Alias = $"q{label}",
            };
        }).ToArray());
    }

    private static Output[] Attack(MLContext ml, IDataView data, string labelColumn, IReadOnlyList<string>? classNames = null)
    {
        var options = new AdefTransformOptions { Attack = new AdefOptions { BatchSize = 8 }, LabelColumnName = labelColumn, ClassNames = classNames };
        IDataView attacked = ml.Transforms.Adef(QuadrantBlobs.Classifier, options: options).Fit(data).Transform(data);
        return ml.Data.CreateEnumerable<Output>(attacked, reuseRowObject: false).ToArray();
    }

    private static (bool Success, int Iterations)[] Outcomes(Output[] rows) => rows.Select(r => (r.Success, r.Iterations)).ToArray();

    [Fact]
    public void KeysOfTextLabelsAreMatchedToTheClassNames()
    {
        var ml = new MLContext(seed: 1);
        IDataView data = Data(ml);
        IDataView keyed = ml.Transforms.Conversion.MapValueToKey("NameKey", "Name").Fit(data).Transform(data);
        VBuffer<ReadOnlyMemory<char>> keys = default;
        keyed.Schema["NameKey"].GetKeyValues(ref keys);
        Assert.NotEqual(Quadrants, keys.DenseValues().Select(k => k.ToString())); // first occurrence is "bottom left"

        var byIndex = Outcomes(Attack(ml, data, "Label"));
        var byKey = Outcomes(Attack(ml, keyed, "NameKey", Quadrants));
        Assert.Equal(byIndex, byKey);
        Assert.Contains(byIndex, r => !r.Success && r.Iterations == 0); // the wrongly labelled rows are not attacked
    }

    [Fact]
    public void KeysOfNumberLabelsAreReadAsClassIndices()
    {
        var ml = new MLContext(seed: 1);
        IDataView data = Data(ml);
        IDataView keyed = ml.Transforms.Conversion.MapValueToKey("LabelKey", "Label").Fit(data).Transform(data);

        Assert.Equal(Outcomes(Attack(ml, data, "Label")), Outcomes(Attack(ml, keyed, "LabelKey")));
    }

    [Fact]
    public void KeysWithNamesThatNameNoClassAreRefusedNamingTheColumnAndTheValue()
    {
        var ml = new MLContext(seed: 1);
        IDataView data = Data(ml);
        IDataView keyed = ml.Transforms.Conversion.MapValueToKey("AliasKey", "Alias").Fit(data).Transform(data);

        var withoutNames = Assert.Throws<InvalidOperationException>(() => Attack(ml, keyed, "AliasKey"));
        Assert.Contains("'AliasKey'", withoutNames.Message);
        Assert.Contains("'q2'", withoutNames.Message);
        Assert.Contains("Set ClassNames", withoutNames.Message);
        var withNames = Assert.Throws<InvalidOperationException>(() => Attack(ml, keyed, "AliasKey", Quadrants));
        Assert.Contains("'q2'", withNames.Message);
        Assert.Contains("top left", withNames.Message);
    }
}
