using Adef.Experiments;
using Adef.MLNet.Attacks;
using Adef.MLNet.Classifiers;
using Adef.MLNet.Classifiers.Onnx;
using Adef.MLNet.Classifiers.TorchSharp;
using Adef.MLNet.Data;
using Adef.MLNet.Transforms;
using Adef.MLNet.Tests.TestSupport;
using Microsoft.ML;
using Microsoft.ML.Data;
using static TorchSharp.torch;

namespace Adef.MLNet.Tests.Transforms;

/// <summary>
/// LoadImages → ResizeImages → attack with the model's input contract: a BGR, per-channel mean/std model attacked from an
/// image column with no CustomMapping, exactly as the attack on pixels the preprocessing made.
/// </summary>
public class InputPreprocessingTransformTests
{
    private static readonly ImagePreprocessing CaffeLike = new(ChannelOrder.Bgr, 255, [104, 117, 123], [58, 57, 59]);

    public sealed class FileRow
    {
        public string Path { get; set; } = "";
    }

    public sealed class AttackedRow
    {
        public float[] Image { get; set; } = [];
        public int AdversarialLabel { get; set; }
        public string Outcome { get; set; } = "";
        public double PixelL2 { get; set; }
        public double LevelL2 { get; set; }
        public double LevelLInf { get; set; }
    }

    private static FileRow[] WritePngs(TempFolder folder, int count, int size, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(i =>
        {
            var rgba = new byte[4 * size * size];
            random.NextBytes(rgba);
            for (int p = 3; p < rgba.Length; p += 4) rgba[p] = 255;
            string path = folder.File($"photo{i}.png");
            using MLImage image = MLImage.CreateFromPixels(size, size, MLPixelFormat.Rgba32, rgba);
            image.Save(path);
            return new FileRow { Path = path };
        }).ToArray();
    }

    private static TorchSharpClassifier BgrClassifier()
    {
        manual_seed(3);
        var module = nn.Sequential(("flatten", nn.Flatten()), ("fc", nn.Linear(3 * 12 * 12, 5)));
        return new TorchSharpClassifier(module, new ImageShape(3, 12, 12), 5, ownsModule: true) { InputPreprocessing = CaffeLike };
    }

    /// <summary>The pixels <see cref="CaffeLike"/> makes of each PNG, read back as ML.NET reads them.</summary>
    private static float[] Normalised(FileRow[] rows)
    {
        var pixels = new float[rows.Length * 3 * 144];
        for (int i = 0; i < rows.Length; i++)
        {
            using MLImage image = MLImage.CreateFromFile(rows[i].Path);
            CaffeLike.Normalize(image.Pixels, pixels.AsSpan(i * 432, 432),
                image.PixelFormat == MLPixelFormat.Bgra32 ? PixelLayout.Bgra : PixelLayout.Rgba);
        }
        return pixels;
    }

    // Fails if the transform converts image columns with ImageScale/ImageOffset in RGB order instead of the classifier's preprocessing.
    [Fact]
    public void AnImageColumnOfABgrMeanStdModelIsAttackedAsThePixelsItsPreprocessingMakes()
    {
        using var folder = new TempFolder();
        var ml = new MLContext(seed: 1);
        FileRow[] rows = WritePngs(folder, 5, 12, seed: 7);
        IDataView files = ml.Data.LoadFromEnumerable(rows);
        IDataView images = ml.Transforms.LoadImages("Image", folder.Path, "Path").Fit(files).Transform(files);
        using TorchSharpClassifier classifier = BgrClassifier();
        var attack = new DeepFoolOptions { CandidateCount = 3, MaxIterations = 10, BatchSize = 2 };

        AttackedRow[] rowsOut = ml.Data.CreateEnumerable<AttackedRow>(
            ml.Transforms.DeepFool(classifier, new DeepFoolTransformOptions { InputColumnName = "Image", Attack = attack }).Fit(images).Transform(images),
            reuseRowObject: false).ToArray();
        PerturbationResult[] direct = new DeepFoolAttack(classifier, attack).Run(Normalised(rows));

        Assert.Equal(direct.Length, rowsOut.Length);
        for (int i = 0; i < direct.Length; i++)
        {
            Assert.Equal(direct[i].AdversarialImage, rowsOut[i].Image);
            Assert.Equal(direct[i].AdversarialLabel, rowsOut[i].AdversarialLabel);
            Assert.Equal(direct[i].Outcome.ToString(), rowsOut[i].Outcome);
            Assert.Equal(direct[i].LevelL2!.Value, rowsOut[i].LevelL2);
            Assert.Equal(direct[i].LevelLInf!.Value, rowsOut[i].LevelLInf);
        }
        Assert.Contains(rowsOut, r => r.LevelL2 > 0);
    }

    [Fact]
    public void TheTransformsPreprocessingMustAgreeWithTheClassifiersAndExcludesImageScale()
    {
        using TorchSharpClassifier stated = BgrClassifier();
        var ml = new MLContext(seed: 1);
        var other = new ImagePreprocessing(ChannelOrder.Rgb, 255, [104, 117, 123], [58, 57, 59]);

        var differs = Assert.Throws<ArgumentException>(() => ml.Transforms.Adef(stated, new AdefTransformOptions { InputPreprocessing = other }));
        Assert.Contains("the classifier states Bgr", differs.Message);
        var scale = Assert.Throws<ArgumentException>(() => ml.Transforms.Adef(stated, new AdefTransformOptions { ImageScale = 1 }));
        Assert.Equal(nameof(AttackTransformOptions.ImageScale), scale.ParamName);
        ml.Transforms.Adef(stated, new AdefTransformOptions { InputPreprocessing = CaffeLike }); // the same one is fine

        manual_seed(3);
        using var unstated = new TorchSharpClassifier(nn.Sequential(("flatten", nn.Flatten()), ("fc", nn.Linear(3 * 12 * 12, 5))),
            new ImageShape(3, 12, 12), 5, ownsModule: true);
        var none = Assert.Throws<ArgumentException>(() => ml.Transforms.Adef(unstated, new AdefTransformOptions { InputPreprocessing = CaffeLike }));
        Assert.Contains("states none", none.Message);
    }

    public sealed class MnistRow
    {
        public float[] Image { get; set; } = [];
        public double LevelLInf { get; set; }
        public bool FoolsAfterRounding { get; set; }
    }

    // Fails if the preprocessing is not saved with the pipeline (the loaded model would read the images as [0, 1] pixels and
    // report no level norms).
    [Fact]
    public void AnOnnxPathTransformLoadsTheModelWithThePreprocessingAndASavedPipelineKeepsIt()
    {
        using var folder = new TempFolder();
        string onnx = folder.File("mnist-a.onnx");
        manual_seed(5);
        MnistOnnxExporter.Save(new MnistA(), onnx);
        var ml = new MLContext(seed: 1);
        FileRow[] rows = WritePngs(folder, 3, 28, seed: 9);
        IDataView files = ml.Data.LoadFromEnumerable(rows);
        var grey = new ImagePreprocessing(ChannelOrder.Gray, 1, [0.1307], [0.3081]);
        var options = new AdefTransformOptions
        {
            InputColumnName = "Image", InputPreprocessing = grey,
            Attack = new AdefOptions { CandidateRanks = [1, 2], MaxIterations = 5, ValidImages = true },
        };
        var model = ml.Transforms.LoadImages("Image", folder.Path, "Path").Append(ml.Transforms.Adef(onnx, options)).Fit(files);
        string path = folder.File("pipeline.zip");

        AttackPipeline.Save(ml, model, files.Schema, path);
        var loaded = AttackPipeline.Load(ml, path, out _);

        var stage = Assert.IsType<AttackTransformer<AdefTransformOptions>>(loaded.ElementAt(1));
        Assert.Equal(grey, stage.Options.InputPreprocessing);
        Assert.True(stage.Options.Attack.ValidImages);
        Assert.Equal(BooleanDataViewType.Instance, loaded.GetOutputSchema(files.Schema)["FoolsAfterRounding"].Type);
        MnistRow[] expected = ml.Data.CreateEnumerable<MnistRow>(model.Transform(files), reuseRowObject: false).ToArray();
        MnistRow[] actual = ml.Data.CreateEnumerable<MnistRow>(loaded.Transform(files), reuseRowObject: false).ToArray();
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i].Image, actual[i].Image);
            Assert.Equal(expected[i].LevelLInf, actual[i].LevelLInf);
            Assert.Equal(expected[i].FoolsAfterRounding, actual[i].FoolsAfterRounding);
        }
        var clean = new float[rows.Length * 784];
        for (int i = 0; i < rows.Length; i++)
        {
            using MLImage image = MLImage.CreateFromFile(rows[i].Path);
            grey.Normalize(image.Pixels, clean.AsSpan(i * 784, 784), image.PixelFormat == MLPixelFormat.Bgra32 ? PixelLayout.Bgra : PixelLayout.Rgba);
        }
        using var classifier = new OnnxClassifier(onnx, new OnnxClassifierOptions { InputPreprocessing = grey });
        AdefResult[] direct = new AdefAttack(classifier, options.Attack).Run(clean);
        for (int i = 0; i < rows.Length; i++)
        {
            Assert.Equal(direct[i].AdversarialImage, expected[i].Image);
            Assert.Equal(direct[i].FoolsAfterRounding, expected[i].FoolsAfterRounding);
        }
        foreach (IDisposable disposable in model.Concat(loaded).OfType<IDisposable>()) disposable.Dispose();
    }
}
