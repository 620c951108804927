using Adef.MLNet.Attacks;
using Adef.MLNet.Classifiers.Onnx;
using Adef.MLNet.Tests.Onnx;
using Adef.MLNet.Tests.TestSupport;
using Adef.MLNet.Transforms;
using Microsoft.ML;
using Microsoft.ML.Data;
using static Adef.MLNet.Tests.Transforms.CatalogTests;

namespace Adef.MLNet.Tests.Transforms;

/// <summary>
/// The default output column is the input column: the adversarial pixels replace the clean ones under the same name
/// (augmentation). Every ML.NET path must then see the adversarial pixels, and the clean column stays, hidden.
/// </summary>
public class ReplacedColumnTests
{
    public sealed class Scored
    {
        public int Id { get; set; }
        [VectorType(TinyModels.ImageSize)] public float[] Pixels { get; set; } = [];
        public int AdversarialLabel { get; set; }
        [ColumnName("logits")] public float[] Logits { get; set; } = [];
    }

    public sealed class Predicted
    {
        public int Id { get; set; }
        [VectorType(TinyModels.ImageSize)] public float[] Pixels { get; set; } = [];
        public string Outcome { get; set; } = "";
    }

    [Fact]
    public void SchemasKeepTheCleanColumnHiddenAndShowTheAdversarialOne()
    {
        using var folder = new TempFolder();
        var ml = new MLContext(seed: 1);
        IDataView data = ml.Data.LoadFromEnumerable(Rows(3));
        var estimator = ml.Transforms.Adef(WriteModel(folder));

        SchemaShape shape = estimator.GetOutputSchema(SchemaShapes.Of(data.Schema));
        using var transformer = estimator.Fit(data);
        DataViewSchema schema = transformer.GetOutputSchema(data.Schema);
        IDataView attacked = transformer.Transform(data);

        SchemaShape.Column pixelsShape = Assert.Single(shape, c => c.Name == "Pixels");
        Assert.Equal((SchemaShape.Column.VectorKind.Vector, NumberDataViewType.Single), (pixelsShape.Kind, pixelsShape.ItemType));
        DataViewSchema.Column[] pixels = schema.Where(c => c.Name == "Pixels").ToArray();
        Assert.Equal([true, false], pixels.Select(c => c.IsHidden));
        Assert.Equal(pixels[1].Index, schema["Pixels"].Index);
        Assert.Equal(schema.Select(c => (c.Name, c.Type, c.IsHidden)), attacked.Schema.Select(c => (c.Name, c.Type, c.IsHidden)));
        Assert.NotEqual(data.GetColumn<float[]>("Pixels").Select(p => p.Sum()), attacked.GetColumn<float[]>("Pixels").Select(p => p.Sum()));

        // The hidden clean column is still readable by index, and a cursor over it alone attacks nothing.
        using DataViewRowCursor cursor = attacked.GetRowCursor([pixels[0]]);
        var getter = cursor.GetGetter<VBuffer<float>>(pixels[0]);
        VBuffer<float> clean = default;
        var originals = new List<float[]>();
        while (cursor.MoveNext())
        {
            getter(ref clean);
            originals.Add(clean.DenseValues().ToArray());
        }
        Assert.Equal(data.GetColumn<float[]>("Pixels"), originals);
    }

    [Fact]
    public void LaterTransformsAPredictionEngineAndASavedPipelineSeeTheAdversarialPixels()
    {
        using var folder = new TempFolder();
        string model = WriteModel(folder);
        var ml = new MLContext(seed: 1);
        Row[] rows = Rows(5, seed: 12);
        IDataView data = ml.Data.LoadFromEnumerable(rows);
        // PGD writes over "Pixels"; the tiny model's input is "x", so a copy feeds ApplyOnnxModel the adversarial pixels.
        var pgd = new PgdTransformOptions { Attack = new PgdOptions { Epsilon = 0.5, StepSize = 0.1, Steps = 8, ClipMin = -1, ClipMax = 1 } };
        var fitted = ml.Transforms.Pgd(model, pgd)
            .Append(ml.Transforms.CopyColumns("x", "Pixels"))
            .Append(ml.Transforms.ApplyOnnxModel(model))
            .Fit(data);
        using var classifier = new OnnxClassifier(model);
        PerturbationResult[] direct = new PgdAttack(classifier, pgd.Attack).Run(rows.SelectMany(r => r.Pixels).ToArray());

        Scored[] scored = ml.Data.CreateEnumerable<Scored>(fitted.Transform(data), reuseRowObject: false).ToArray();
        Assert.Equal(direct.Select(r => r.AdversarialImage), scored.Select(r => r.Pixels));
        Assert.All(scored, r => Assert.Equal(r.AdversarialLabel, Array.IndexOf(r.Logits, r.Logits.Max())));
        Assert.Contains(direct, r => r.Success);

        // One row at a time: PGD seeds the random start by the image's place in its batch, here always 0.
        var engine = ml.Model.CreatePredictionEngine<Row, Predicted>(fitted);
        foreach (Row row in rows)
        {
            PerturbationResult alone = new PgdAttack(classifier, pgd.Attack).Run(row.Pixels)[0];
            Predicted predicted = engine.Predict(row);
            Assert.Equal((row.Id, alone.Outcome.ToString()), (predicted.Id, predicted.Outcome));
            Assert.Equal(alone.AdversarialImage, predicted.Pixels);
        }

        string saved = folder.File("pipeline.zip");
        AttackPipeline.Save(ml, fitted, data.Schema, saved);
        var loaded = AttackPipeline.Load(ml, saved, out DataViewSchema inputSchema);
        Scored[] again = ml.Data.CreateEnumerable<Scored>(loaded.Transform(data), reuseRowObject: false).ToArray();
        Assert.Equal(data.Schema.Select(c => (c.Name, c.Type)), inputSchema.Select(c => (c.Name, c.Type)));
        Assert.Equal(scored.Select(r => (r.Pixels, r.Logits)), again.Select(r => (r.Pixels, r.Logits)));
        Assert.Equal(pgd.Attack, Assert.IsType<AttackTransformer<PgdTransformOptions>>(loaded.First()).Options.Attack);
        foreach (IDisposable disposable in fitted.Concat(loaded).OfType<IDisposable>()) disposable.Dispose();
    }
}
