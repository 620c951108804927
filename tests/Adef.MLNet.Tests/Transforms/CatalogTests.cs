using Adef.MLNet.Attacks;
using Adef.MLNet.Classifiers.Onnx;
using Adef.MLNet.Tests.Onnx;
using Adef.MLNet.Tests.TestSupport;
using Adef.MLNet.Transforms;
using Google.Protobuf;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace Adef.MLNet.Tests.Transforms;

/// <summary>The catalog's forms for ADef, DeepFool and PGD over <see cref="TinyModels.Classifier"/> (2×3×3 images, 4 classes).</summary>
public class CatalogTests
{
    public sealed class Row
    {
        [VectorType(TinyModels.ImageSize)] public float[] Pixels { get; set; } = [];
        public int Id { get; set; }
    }

    public sealed class Attacked
    {
        public int Id { get; set; }
        [VectorType(TinyModels.ImageSize)] public float[] Pixels { get; set; } = [];
        public int AdversarialLabel { get; set; }
        public string Outcome { get; set; } = "";
        public int Iterations { get; set; }
    }

    internal static Row[] Rows(int count, int seed = 7)
    {
        float[] images = TinyModels.RandomImages(count, seed);
        return Enumerable.Range(0, count).Select(i => new Row
        {
            Pixels = images.AsSpan(i * TinyModels.ImageSize, TinyModels.ImageSize).ToArray(), Id = i,
        }).ToArray();
    }

    internal static string WriteModel(TempFolder folder)
    {
        string path = folder.File("tiny.onnx");
        File.WriteAllBytes(path, TinyModels.Classifier("N").ToByteArray());
        return path;
    }

    private static (string Input, string Output) Columns<T>(AttackEstimator<T> estimator) where T : AttackTransformOptions =>
        (estimator.Options.InputColumnName, estimator.Options.AdversarialPixelsColumn);

    [Fact]
    public void EveryFormResolvesAndNamesItsInputAndOutputColumns()
    {
        using var folder = new TempFolder();
        string path = WriteModel(folder);
        using var classifier = new OnnxClassifier(path);
        var ml = new MLContext(seed: 1);
        var t = ml.Transforms;
        (string, string) pixels = ("Pixels", "Pixels"), same = ("Adv", "Adv"), apart = ("Pixels", "Adv"), options = ("X", "Y");

        // Each line is also a compile-time check that the call resolves to one overload.
        Assert.Equal(
            [pixels, same, apart, apart, options, pixels, same, apart, options],
            [Columns(t.Adef(path)), Columns(t.Adef("Adv", path)), Columns(t.Adef("Adv", path, "Pixels")),
             Columns(t.Adef(outputColumnName: "Adv", onnxModelPath: path, inputColumnName: "Pixels")),
             Columns(t.Adef(path, new AdefTransformOptions { InputColumnName = "X", OutputColumnName = "Y" })),
             Columns(t.Adef(classifier)), Columns(t.Adef("Adv", classifier)), Columns(t.Adef("Adv", classifier, "Pixels")),
             Columns(t.Adef(classifier, new AdefTransformOptions { InputColumnName = "X", OutputColumnName = "Y" }))]);
        Assert.Equal(
            [pixels, same, apart, options, pixels, same, apart, options],
            [Columns(t.DeepFool(path)), Columns(t.DeepFool("Adv", path)), Columns(t.DeepFool("Adv", path, "Pixels")),
             Columns(t.DeepFool(path, new DeepFoolTransformOptions { InputColumnName = "X", OutputColumnName = "Y" })),
             Columns(t.DeepFool(classifier)), Columns(t.DeepFool("Adv", classifier)), Columns(t.DeepFool("Adv", classifier, "Pixels")),
             Columns(t.DeepFool(classifier, new DeepFoolTransformOptions { InputColumnName = "X", OutputColumnName = "Y" }))]);
        Assert.Equal(
            [pixels, same, apart, options, pixels, same, apart, options],
            [Columns(t.Pgd(path)), Columns(t.Pgd("Adv", path)), Columns(t.Pgd("Adv", path, "Pixels")),
             Columns(t.Pgd(path, new PgdTransformOptions { InputColumnName = "X", OutputColumnName = "Y" })),
             Columns(t.Pgd(classifier)), Columns(t.Pgd("Adv", classifier)), Columns(t.Pgd("Adv", classifier, "Pixels")),
             Columns(t.Pgd(classifier, new PgdTransformOptions { InputColumnName = "X", OutputColumnName = "Y" }))]);
    }

    [Fact]
    public void ThePathAloneAttacksPixelsLikeTheDirectAttackOfEachKind()
    {
        using var folder = new TempFolder();
        string path = WriteModel(folder);
        using var classifier = new OnnxClassifier(path);
        var ml = new MLContext(seed: 1);
        Row[] rows = Rows(6);
        IDataView data = ml.Data.LoadFromEnumerable(rows);
        float[] images = rows.SelectMany(r => r.Pixels).ToArray();

        // Six rows are one batch of the default 256, so each transform makes one attack call over all of them.
        Check(ml.Transforms.Adef(path), new AdefAttack(classifier).Run(images));
        Check(ml.Transforms.DeepFool(path), new DeepFoolAttack(classifier).Run(images));
        Check(ml.Transforms.Pgd(path), new PgdAttack(classifier).Run(images));

        void Check<T>(AttackEstimator<T> estimator, IReadOnlyList<AttackResult> expected) where T : AttackTransformOptions
        {
            using AttackTransformer<T> transformer = estimator.Fit(data);
            Attacked[] actual = ml.Data.CreateEnumerable<Attacked>(transformer.Transform(data), reuseRowObject: false).ToArray();
            Assert.Equal(expected.Select(r => (r.AdversarialImage, r.AdversarialLabel, r.Outcome.ToString(), r.Iterations)),
                actual.Select(r => (r.Pixels, r.AdversarialLabel, r.Outcome, r.Iterations)));
            Assert.Contains(actual, r => r.Outcome == "Fooled");
        }
    }

    [Fact]
    public void APgdTransformEqualsTheDirectAttackBatchForBatch()
    {
        using var folder = new TempFolder();
        var ml = new MLContext(seed: 1);
        Row[] rows = Rows(7, seed: 2);
        IDataView data = ml.Data.LoadFromEnumerable(rows);
        var attack = new PgdOptions { Epsilon = 0.2, StepSize = 0.05, Steps = 10, Seed = 4, ClipMin = -1, ClipMax = 1, BatchSize = 3 };
        using var transformer = ml.Transforms.Pgd(WriteModel(folder), new PgdTransformOptions
        {
            Attack = attack, OutputColumnName = "Adversarial", PerturbationColumnName = "Delta",
        }).Fit(data);
        using var classifier = new OnnxClassifier(WriteModel(folder));

        // The transform attacks rows 0–2, 3–5 and 6 in three calls; PGD seeds image i of each call with (Seed, i).
        PerturbationResult[] expected = rows.Chunk(3)
            .SelectMany(batch => new PgdAttack(classifier, attack).Run(batch.SelectMany(r => r.Pixels).ToArray())).ToArray();
        IDataView attacked = transformer.Transform(data);
        float[][] adversarial = attacked.GetColumn<float[]>("Adversarial").ToArray(), delta = attacked.GetColumn<float[]>("Delta").ToArray();

        Assert.Equal(expected.Select(r => r.AdversarialImage), adversarial);
        Assert.Equal(expected.Select(r => r.Perturbation), delta);
        Assert.Equal(rows.Select(r => r.Pixels), attacked.GetColumn<float[]>("Pixels"));
        Assert.Equal(expected.Select(r => r.Outcome.ToString()), attacked.GetColumn<string>("Outcome"));
    }

    [Fact]
    public void APathThatIsMissingOrNotOnnxFailsWhenTheEstimatorIsCreatedNamingIt()
    {
        using var folder = new TempFolder();
        string missing = folder.File("missing.onnx"), text = folder.File("notes.onnx");
        File.WriteAllText(text, "not a model");
        var t = new MLContext(seed: 1).Transforms;
        var calls = new (string Path, Func<object> Create)[]
        {
            (missing, () => t.Adef(missing)), (text, () => t.Adef(text)), (missing, () => t.Adef("Adv", missing)),
            (missing, () => t.DeepFool(missing)), (text, () => t.DeepFool("Adv", text, "Pixels")),
            (missing, () => t.Pgd(missing)), (text, () => t.Pgd(text, new PgdTransformOptions())),
        };

        foreach ((string path, Func<object> create) in calls)
        {
            var error = Assert.Throws<InvalidModelException>(create);
            Assert.Equal(path, error.Path);
            Assert.Contains(path, error.Message);
            Assert.Contains(path == missing ? "does not exist" : "not an ONNX", error.Message);
        }
    }

    [Fact]
    public void AModelGivenWhereTheOutputColumnGoesIsPointedOut()
    {
        using var folder = new TempFolder();
        string model = folder.File("model.onnx");
        File.WriteAllBytes(model, TinyModels.Classifier("N").ToByteArray());
        var t = new MLContext(seed: 1).Transforms;

        // (model, column) reads as (outputColumnName, onnxModelPath): "Pixels" is then the model, which does not exist.
        var error = Assert.Throws<InvalidModelException>(() => t.Adef(model, "Pixels"));

        Assert.Equal("Pixels", error.Path);
        Assert.Contains("(outputColumnName, onnxModelPath, inputColumnName)", error.Message);
        Assert.Contains($"'{model}'", error.Message);
    }

    [Fact]
    public void OnnxOptionsWithAClassifierObjectAreRefusedAndTheyLoadThePath()
    {
        using var folder = new TempFolder();
        string path = WriteModel(folder);
        using var classifier = new OnnxClassifier(path);
        var t = new MLContext(seed: 1).Transforms;

        var error = Assert.Throws<ArgumentException>(() => t.DeepFool(classifier, new DeepFoolTransformOptions { Onnx = new OnnxClassifierOptions() }));
        Assert.Contains("Onnx", error.Message);
        var wrongLogits = Assert.Throws<InvalidModelException>(
            () => t.Adef(path, new AdefTransformOptions { Onnx = new OnnxClassifierOptions { LogitsOutputName = "nope" } }));
        Assert.Contains("nope", wrongLogits.Message);
    }
}
