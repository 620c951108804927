using Adef.Experiments;
using Adef.MLNet.Attacks;
using Adef.MLNet.Classifiers;
using Adef.MLNet.Classifiers.Onnx;
using Adef.MLNet.Classifiers.TorchSharp;
using Adef.MLNet.Transforms;
using Adef.MLNet.Tests.TestSupport;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace Adef.MLNet.Tests.Transforms;

public class AttackTransformTests
{
    private const int ImageSize = QuadrantBlobs.Size * QuadrantBlobs.Size;
    private static readonly AdefOptions Attack = new() { CandidateRanks = [1, 2, 3], MaxIterations = 50, Sigma = 0.5, OvershootFactor = 1.2 };

    public sealed class PixelRow
    {
        [VectorType(ImageSize)] public float[] Pixels { get; set; } = [];
        public int Id { get; set; }
        public string Name { get; set; } = "";
        public int Label { get; set; }
    }

    public sealed class WrongSizeRow
    {
        [VectorType(100)] public float[] Pixels { get; set; } = [];
    }

    public sealed class VariableSizeRow
    {
        public float[] Pixels { get; set; } = [];
    }

    public sealed class TextRow
    {
        public string Pixels { get; set; } = "";
    }

    private static SchemaShape ShapeOf(DataViewSchema schema) => SchemaShapes.Of(schema);

    private static PixelRow[] Rows(int count, int seed = 99)
    {
        var data = QuadrantBlobs.Generate(count, seed);
        return Enumerable.Range(0, count).Select(i => new PixelRow
        {
            Pixels = data.Pixels.AsSpan(i * ImageSize, ImageSize).ToArray(),
            Id = i,
            Name = $"row {i}",
            Label = data.Labels[i],
        }).ToArray();
    }

    [Fact]
    public void MissingInputColumnMessageNamesTheColumnAndTheExpectedType()
    {
        var ml = new MLContext(seed: 1);
        IDataView data = ml.Data.LoadFromEnumerable(Rows(2));
        var estimator = ml.Transforms.Adef("Image", QuadrantBlobs.Classifier);

        var fit = Assert.Throws<ArgumentOutOfRangeException>(() => estimator.Fit(data));
        Assert.Contains("column 'Image' was not found", fit.Message);
        Assert.Contains("Vector<Single, 144>", fit.Message);
        Assert.Contains("'Pixels'", fit.Message);

        var shape = Assert.Throws<ArgumentOutOfRangeException>(() => estimator.GetOutputSchema(ShapeOf(data.Schema)));
        Assert.Contains("column 'Image' was not found", shape.Message);
    }

    [Fact]
    public void TextInputColumnMessageNamesTheExpectedAndActualTypes()
    {
        var ml = new MLContext(seed: 1);
        IDataView data = ml.Data.LoadFromEnumerable(new[] { new TextRow { Pixels = "x" } });

        var error = Assert.Throws<ArgumentOutOfRangeException>(() => ml.Transforms.Adef(QuadrantBlobs.Classifier).Fit(data));
        Assert.Contains("column 'Pixels' has type String", error.Message);
        Assert.Contains("Vector<Single, 144>", error.Message);
    }

    [Fact]
    public void VariableSizeVectorMessageSaysVariableSize()
    {
        var ml = new MLContext(seed: 1);
        IDataView data = ml.Data.LoadFromEnumerable(new[] { new VariableSizeRow { Pixels = new float[ImageSize] } });
        var estimator = ml.Transforms.DeepFool(QuadrantBlobs.Classifier);

        var error = Assert.Throws<ArgumentOutOfRangeException>(() => estimator.Fit(data));
        Assert.Contains("column 'Pixels' has type Vector<Single> of variable size", error.Message);
        Assert.Contains("Vector<Single, 144>", error.Message);
        var shape = Assert.Throws<ArgumentOutOfRangeException>(() => estimator.GetOutputSchema(ShapeOf(data.Schema)));
        Assert.Contains("variable size", shape.Message);
    }

    [Fact]
    public void WrongSizeVectorMessageNamesBothSizes()
    {
        var ml = new MLContext(seed: 1);
        IDataView data = ml.Data.LoadFromEnumerable(new[] { new WrongSizeRow { Pixels = new float[100] } });

        var error = Assert.Throws<ArgumentOutOfRangeException>(() => ml.Transforms.Adef(QuadrantBlobs.Classifier).Fit(data));
        Assert.Contains("column 'Pixels' has type Vector<Single, 100> (100 values)", error.Message);
        Assert.Contains("Vector<Single, 144>", error.Message);
        Assert.Contains("1×12×12", error.Message);
    }

    [Fact]
    public void TextLabelColumnMessageNamesTheLabelColumn()
    {
        var ml = new MLContext(seed: 1);
        IDataView data = ml.Data.LoadFromEnumerable(Rows(2));
        var options = new AdefTransformOptions { LabelColumnName = "Name" };

        var error = Assert.Throws<ArgumentOutOfRangeException>(() => ml.Transforms.Adef(QuadrantBlobs.Classifier, options: options).Fit(data));
        Assert.Contains("column 'Name' has type String", error.Message);
        Assert.Contains("scalar label column", error.Message);
    }

    [Fact]
    public void CursorSetSplitsLikeTheSourceAndEachCursorAttacksItsOwnRows()
    {
        var ml = new MLContext(seed: 1);
        PixelRow[] rows = Rows(12);
        // The cache splits a cursor set over disjoint rows once it has been filled.
        IDataView data = ml.Data.Cache(ml.Data.LoadFromEnumerable(rows));
        _ = ml.Data.CreateEnumerable<PixelRow>(data, reuseRowObject: false).Count();
        IDataView attacked = ml.Transforms.Adef(QuadrantBlobs.Classifier, options: new AdefTransformOptions { Attack = Attack with { BatchSize = 1 } })
            .Fit(data).Transform(data);

        DataViewRowCursor[] cursors = attacked.GetRowCursorSet(attacked.Schema, n: 3);
        Assert.True(cursors.Length > 1, $"expected the cached source to split, got {cursors.Length} cursor(s)");
        var seen = new System.Collections.Concurrent.ConcurrentDictionary<int, (int Label, bool Success, double TNorm)>();
        Parallel.ForEach(cursors, cursor =>
        {
            using (cursor)
            {
                var id = cursor.GetGetter<int>(attacked.Schema["Id"]);
                var label = cursor.GetGetter<int>(attacked.Schema["AdversarialLabel"]);
                var success = cursor.GetGetter<bool>(attacked.Schema["Success"]);
                var tNorm = cursor.GetGetter<double>(attacked.Schema["TNorm"]);
                while (cursor.MoveNext())
                {
                    int i = 0, l = 0;
                    bool s = false;
                    double t = 0;
                    id(ref i); label(ref l); success(ref s); tNorm(ref t);
                    Assert.True(seen.TryAdd(i, (l, s, t)), $"row {i} was served twice");
                }
            }
        });

        // Batches of one do not depend on which rows share a batch, so each row equals the direct attack exactly.
        AdefResult[] expected = new AdefAttack(QuadrantBlobs.Classifier, Attack with { BatchSize = 1 })
            .Run(rows.SelectMany(r => r.Pixels).ToArray());
        Assert.Equal(rows.Length, seen.Count);
        for (int i = 0; i < rows.Length; i++)
            Assert.Equal((expected[i].AdversarialLabel, expected[i].Success, expected[i].TNorm), seen[i]);
    }

    [Fact]
    public void EstimatorOutputShapeAddsTheConfiguredColumns()
    {
        var ml = new MLContext(seed: 1);
        IDataView data = ml.Data.LoadFromEnumerable(Rows(1));
        var options = new AdefTransformOptions { VectorFieldColumnName = "Tau" };

        SchemaShape shape = ml.Transforms.Adef(QuadrantBlobs.Classifier, options: options).GetOutputSchema(ShapeOf(data.Schema));

        var names = shape.Select(c => c.Name).ToList();
        foreach (string name in new[] { "Pixels", "Id", "Name", "Tau", "OriginalLabel", "AdversarialLabel",
                     "Success", "Outcome", "Iterations", "TNorm", "FieldL2", "Overshot", "PixelL2", "PixelLInf" })
            Assert.Contains(name, names);
        SchemaShape.Column tau = shape.Single(c => c.Name == "Tau");
        Assert.Equal(SchemaShape.Column.VectorKind.Vector, tau.Kind);
        Assert.Equal(NumberDataViewType.Single, tau.ItemType);
        Assert.Equal(BooleanDataViewType.Instance, shape.Single(c => c.Name == "Success").ItemType);
        Assert.Equal(TextDataViewType.Instance, shape.Single(c => c.Name == "Outcome").ItemType);
        Assert.Equal(BooleanDataViewType.Instance, shape.Single(c => c.Name == "Overshot").ItemType);
        Assert.DoesNotContain("AdversarialPixels", names); // the adversarial pixels replace "Pixels" by default
    }

    public sealed class AdefOutputRow
    {
        public int Id { get; set; }
        public string Name { get; set; } = "";
        [VectorType(ImageSize)] public float[] AdversarialPixels { get; set; } = [];
        [VectorType(2 * ImageSize)] public float[] VectorField { get; set; } = [];
        public int OriginalLabel { get; set; }
        public int AdversarialLabel { get; set; }
        public bool Success { get; set; }
        public string Outcome { get; set; } = "";
        public bool Overshot { get; set; }
        public int Iterations { get; set; }
        public double TNorm { get; set; }
        public double FieldL2 { get; set; }
        public double PixelL2 { get; set; }
        public double PixelLInf { get; set; }
    }

    [Fact]
    public void AdefColumnsEqualTheDirectAttackResultsAndInputColumnsPassThrough()
    {
        var ml = new MLContext(seed: 1);
        PixelRow[] rows = Rows(20);
        IDataView data = ml.Data.LoadFromEnumerable(rows);
        var options = new AdefTransformOptions { Attack = Attack with { BatchSize = 7 }, OutputColumnName = "AdversarialPixels" };

        IDataView attacked = ml.Transforms.Adef(QuadrantBlobs.Classifier, options: options).Fit(data).Transform(data);
        AdefOutputRow[] actual = ml.Data.CreateEnumerable<AdefOutputRow>(attacked, reuseRowObject: false).ToArray();
        // The same batches the transform runs (7, 7, 6 rows): libtorch's results depend on the batch
        // composition in the last float bits, so equality is exact only batch for batch.
        AdefResult[] expected = rows.Chunk(7)
            .SelectMany(batch => new AdefAttack(QuadrantBlobs.Classifier, Attack).Run(batch.SelectMany(r => r.Pixels).ToArray()))
            .ToArray();

        Assert.Equal(rows.Length, actual.Length);
        Assert.True(expected.Count(r => r.Success) >= 15);
        for (int i = 0; i < rows.Length; i++)
        {
            Assert.Equal(i, actual[i].Id);
            Assert.Equal($"row {i}", actual[i].Name);
            Assert.Equal(expected[i].AdversarialImage, actual[i].AdversarialPixels);
            Assert.Equal(expected[i].VectorField, actual[i].VectorField);
            Assert.Equal(expected[i].OriginalLabel, actual[i].OriginalLabel);
            Assert.Equal(expected[i].AdversarialLabel, actual[i].AdversarialLabel);
            Assert.Equal(expected[i].Success, actual[i].Success);
            Assert.Equal(expected[i].Outcome.ToString(), actual[i].Outcome);
            Assert.Equal(expected[i].Overshot, actual[i].Overshot);
            Assert.Equal(expected[i].Iterations, actual[i].Iterations);
            Assert.Equal(expected[i].TNorm, actual[i].TNorm);
            Assert.Equal(expected[i].FieldL2, actual[i].FieldL2);
            Assert.Equal(expected[i].PixelL2, actual[i].PixelL2);
            Assert.Equal(expected[i].PixelLInf, actual[i].PixelLInf);
        }
    }

    public sealed class DeepFoolOutputRow
    {
        [VectorType(ImageSize)] public float[] Pixels { get; set; } = [];
        [VectorType(ImageSize)] public float[] AdversarialPixels { get; set; } = [];
        [VectorType(ImageSize)] public float[] Delta { get; set; } = [];
        public int OriginalLabel { get; set; }
        public int AdversarialLabel { get; set; }
        public bool Success { get; set; }
        public string Outcome { get; set; } = "";
        public int Iterations { get; set; }
        public double PixelL2 { get; set; }
        public double PixelLInf { get; set; }
    }

    [Fact]
    public void DeepFoolColumnsEqualTheDirectAttackResultsWithTrueLabels()
    {
        var ml = new MLContext(seed: 1);
        PixelRow[] rows = Rows(12, seed: 3);
        rows[0].Label = (rows[0].Label + 1) % 4;
        IDataView data = ml.Data.LoadFromEnumerable(rows);
        var attack = new DeepFoolOptions { CandidateCount = 4 };
        var options = new DeepFoolTransformOptions
        {
            Attack = attack with { BatchSize = 5 }, OutputColumnName = "AdversarialPixels", LabelColumnName = "Label", PerturbationColumnName = "Delta",
        };

        IDataView attacked = ml.Transforms.DeepFool(QuadrantBlobs.Classifier, options: options).Fit(data).Transform(data);
        DeepFoolOutputRow[] actual = ml.Data.CreateEnumerable<DeepFoolOutputRow>(attacked, reuseRowObject: false).ToArray();
        PerturbationResult[] expected = rows.Chunk(5)
            .SelectMany(batch => new DeepFoolAttack(QuadrantBlobs.Classifier, attack)
                .Run(batch.SelectMany(r => r.Pixels).ToArray(), batch.Select(r => r.Label).ToArray()))
            .ToArray();

        Assert.Equal(AttackOutcome.AlreadyMisclassified, expected[0].Outcome);
        Assert.False(actual[0].Success);
        Assert.Equal("AlreadyMisclassified", actual[0].Outcome);
        for (int i = 0; i < rows.Length; i++)
        {
            Assert.Equal(rows[i].Pixels, actual[i].Pixels);
            Assert.Equal(expected[i].AdversarialImage, actual[i].AdversarialPixels);
            Assert.Equal(expected[i].Perturbation, actual[i].Delta);
            Assert.Equal(expected[i].OriginalLabel, actual[i].OriginalLabel);
            Assert.Equal(expected[i].AdversarialLabel, actual[i].AdversarialLabel);
            Assert.Equal(expected[i].Success, actual[i].Success);
            Assert.Equal(expected[i].Outcome.ToString(), actual[i].Outcome);
            Assert.Equal(expected[i].Iterations, actual[i].Iterations);
            Assert.Equal(expected[i].PixelL2, actual[i].PixelL2);
            Assert.Equal(expected[i].PixelLInf, actual[i].PixelLInf);
        }
    }

    /// <summary>Records the batch size of every logits-only call (with 0 iterations: one per attack run).</summary>
    private sealed class CountingClassifier(IDifferentiableClassifier inner) : IDifferentiableClassifier
    {
        public List<int> LogitCalls { get; } = [];
        public int GradientCalls { get; private set; }
        public ImageShape InputShape => inner.InputShape;
        public int ClassCount => inner.ClassCount;

        public void ComputeLogits(ReadOnlySpan<float> images, int count, Span<float> logits)
        {
            LogitCalls.Add(count);
            inner.ComputeLogits(images, count, logits);
        }

        public void ComputeLogitsAndMarginGradients(ReadOnlySpan<float> images, int count, ReadOnlySpan<int> targetLabels,
            int targetsPerImage, Span<float> logits, Span<float> gradients)
        {
            GradientCalls++;
            inner.ComputeLogitsAndMarginGradients(images, count, targetLabels, targetsPerImage, logits, gradients);
        }
    }

    [Fact]
    public void CursorAttacksRowsInBatchesOfBatchSizeAndTheRemainder()
    {
        var ml = new MLContext(seed: 1);
        var counting = new CountingClassifier(QuadrantBlobs.Classifier);
        IDataView data = ml.Data.LoadFromEnumerable(Rows(10));
        var options = new AdefTransformOptions { Attack = new AdefOptions { MaxIterations = 0, BatchSize = 4 } };

        IDataView attacked = ml.Transforms.Adef(counting, options: options).Fit(data).Transform(data);
        Assert.Empty(counting.LogitCalls);
        int[] labels = attacked.GetColumn<int>("OriginalLabel").ToArray();

        Assert.Equal(10, labels.Length);
        Assert.Equal([4, 4, 2], counting.LogitCalls);
        Assert.Equal(0, counting.GradientCalls);
    }

    [Fact]
    public void CursorReadingOnlyInputColumnsNeverCallsTheClassifier()
    {
        var ml = new MLContext(seed: 1);
        var counting = new CountingClassifier(QuadrantBlobs.Classifier);
        IDataView data = ml.Data.LoadFromEnumerable(Rows(10));

        IDataView attacked = ml.Transforms.Adef(counting, options: new AdefTransformOptions { Attack = new AdefOptions { BatchSize = 4 } }).Fit(data).Transform(data);
        int[] ids = attacked.GetColumn<int>("Id").ToArray();
        string[] names = attacked.GetColumn<string>("Name").ToArray();

        Assert.Equal(Enumerable.Range(0, 10), ids);
        Assert.Equal(Enumerable.Range(0, 10).Select(i => $"row {i}"), names);
        Assert.Empty(counting.LogitCalls);
        Assert.Equal(0, counting.GradientCalls);
        Assert.Equal(10, attacked.GetRowCount());
    }

    [Fact]
    public void PlainModelSaveThrowsNotSupportedNamingTheAttack()
    {
        var ml = new MLContext(seed: 1);
        IDataView data = ml.Data.LoadFromEnumerable(Rows(2));
        var pipeline = ml.Transforms.CopyColumns("Copy", "Pixels").Append(ml.Transforms.Adef(QuadrantBlobs.Classifier));
        var model = pipeline.Fit(data);
        using var folder = new TempFolder();

        var error = Assert.Throws<NotSupportedException>(() => ml.Model.Save(model, data.Schema, folder.File("model.zip")));
        Assert.Contains("The Adef transform cannot be saved with MLContext.Model.Save", error.Message);
        Assert.Contains("AttackPipeline.Save", error.Message);
    }

    [Fact]
    public void PredictionEngineAttacksOneRowLikeTheDirectAttack()
    {
        var ml = new MLContext(seed: 1);
        PixelRow[] rows = Rows(3, seed: 21);
        IDataView data = ml.Data.LoadFromEnumerable(rows);
        var model = ml.Transforms.Adef(QuadrantBlobs.Classifier, new AdefTransformOptions { Attack = Attack, OutputColumnName = "AdversarialPixels" })
            .Fit(data);

        var engine = ml.Model.CreatePredictionEngine<PixelRow, AdefOutputRow>(model);
        foreach (PixelRow row in rows)
        {
            AdefOutputRow actual = engine.Predict(row);
            AdefResult expected = new AdefAttack(QuadrantBlobs.Classifier, Attack).Run(row.Pixels)[0];
            Assert.Equal(row.Id, actual.Id);
            Assert.Equal(expected.AdversarialImage, actual.AdversarialPixels);
            Assert.Equal(expected.VectorField, actual.VectorField);
            Assert.Equal(expected.AdversarialLabel, actual.AdversarialLabel);
            Assert.Equal(expected.Iterations, actual.Iterations);
            Assert.Equal(expected.TNorm, actual.TNorm);
        }
    }

    public sealed class LogitsRow
    {
        public int AdversarialLabel { get; set; }
        public bool Success { get; set; }
        [ColumnName("logits")] public float[] Logits { get; set; } = [];
    }

    [Fact]
    public void ApplyOnnxModelOnTheDeformedColumnConfirmsTheAdversarialLabel()
    {
        using var folder = new TempFolder();
        string path = folder.File("mnist-a.onnx");
        TorchSharp.torch.manual_seed(5);
        MnistOnnxExporter.Save(new MnistA(), path);
        var ml = new MLContext(seed: 1);
        var random = new Random(4);
        var rows = Enumerable.Range(0, 6).Select(_ => new MnistRow
        {
            Pixels = Enumerable.Range(0, 784).Select(_ => (float)random.NextDouble()).ToArray(),
        }).ToArray();
        IDataView data = ml.Data.LoadFromEnumerable(rows);
        var options = new AdefTransformOptions
        {
            Attack = new AdefOptions { CandidateRanks = [1, 2, 3], MaxIterations = 30, OvershootFactor = 1.2, BatchSize = 4 },
            OutputColumnName = "input",
        };

        var pipeline = ml.Transforms.Adef(path, options)
            .Append(ml.Transforms.ApplyOnnxModel(outputColumnNames: ["logits"], inputColumnNames: ["input"], modelFile: path));
        var model = pipeline.Fit(data);
        LogitsRow[] results = ml.Data.CreateEnumerable<LogitsRow>(model.Transform(data), reuseRowObject: false).ToArray();
        ((IDisposable)model.First()).Dispose();

        Assert.Equal(rows.Length, results.Length);
        Assert.Contains(results, r => r.Success);
        foreach (LogitsRow row in results)
            Assert.Equal(row.AdversarialLabel, Array.IndexOf(row.Logits, row.Logits.Max()));
    }

    public sealed class MnistRow
    {
        [VectorType(784)] public float[] Pixels { get; set; } = [];
    }
}
