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
using Microsoft.ML.Transforms.Image;
using static TorchSharp.torch;

namespace Adef.MLNet.Tests.Transforms;

/// <summary>ML.NET's own image front end (LoadImages → ResizeImages → ExtractPixels) feeding the attack transforms.</summary>
public class ImageColumnTests
{
    private static readonly AdefOptions Attack = new() { CandidateRanks = [1, 2, 3], MaxIterations = 30, OvershootFactor = 1.2 };

    public sealed class FileRow
    {
        public string Path { get; set; } = "";
    }

    public sealed class LogitsRow
    {
        public int OriginalLabel { get; set; }
        public int AdversarialLabel { get; set; }
        public bool Success { get; set; }
        [ColumnName("logits")] public float[] Logits { get; set; } = [];
    }

    public sealed class AttackedRow
    {
        public float[] AdversarialPixels { get; set; } = [];
        public int AdversarialLabel { get; set; }
        public bool Success { get; set; }
        public int Iterations { get; set; }
        public double TNorm { get; set; }
    }

    /// <summary>
    /// The transform's image column is <see cref="ImagePreprocessing"/> with Scale = 255·ImageScale, Mean = ImageOffset·ImageScale
    /// and Std = 1 on the same pixels (grey: the luma of colour pixels), read here back unchanged by ADef with no iterations.
    /// </summary>
    [Theory]
    [InlineData(1, 1f / 255, 0f)]
    [InlineData(1, 2f / 255, 127.5f)]
    [InlineData(3, 1f / 255, 0f)]
    [InlineData(3, 0.017f, 123.68f)]
    public void AnImageColumnIsNormalisedByImagePreprocessing(int channels, float scale, float offset)
    {
        using var folder = new TempFolder();
        var ml = new MLContext(seed: 1);
        FileRow[] rows = WritePngs(folder, 3, 12, 12, grey: false, seed: 5);
        IDataView images = ml.Transforms.LoadImages("Image", folder.Path, "Path").Fit(ml.Data.LoadFromEnumerable(rows))
            .Transform(ml.Data.LoadFromEnumerable(rows));
        manual_seed(2);
        var module = nn.Sequential(("flatten", nn.Flatten()), ("fc", nn.Linear(channels * 12 * 12, 4)));
        using var classifier = new TorchSharpClassifier(module, new ImageShape(channels, 12, 12), 4);
        var options = new AdefTransformOptions
        {
            Attack = new AdefOptions { MaxIterations = 0 }, ImageScale = scale, ImageOffset = offset,
            InputColumnName = "Image", OutputColumnName = "AdversarialPixels",
        };
        var preprocessing = new ImagePreprocessing(channels == 1 ? ChannelOrder.Gray : ChannelOrder.Rgb, 255.0 * scale,
            Enumerable.Repeat((double)offset * scale, channels).ToArray());

        AttackedRow[] attacked = ml.Data.CreateEnumerable<AttackedRow>(
            ml.Transforms.Adef(classifier, options).Fit(images).Transform(images), reuseRowObject: false).ToArray();

        for (int i = 0; i < rows.Length; i++)
        {
            using MLImage image = MLImage.CreateFromFile(rows[i].Path);
            var expected = new float[channels * 144];
            preprocessing.Normalize(image.Pixels, expected, image.PixelFormat == MLPixelFormat.Bgra32 ? PixelLayout.Bgra : PixelLayout.Rgba);
            Assert.Equal(expected, attacked[i].AdversarialPixels);
            Assert.Equal(0, attacked[i].Iterations);
        }
        if (channels == 1)
        {
            using MLImage first = MLImage.CreateFromFile(rows[0].Path);
            (int r, int b) = first.PixelFormat == MLPixelFormat.Bgra32 ? (2, 0) : (0, 2);
            byte luma = ImagePreprocessing.Luma(first.Pixels[r], first.Pixels[1], first.Pixels[b]);
            Assert.Equal((float)((luma * (255.0 * scale) / 255 - (double)offset * scale) / 1), attacked[0].AdversarialPixels[0]);
        }
    }

    /// <summary>Writes <paramref name="count"/> random RGB PNGs of <paramref name="height"/>×<paramref name="width"/> (grey when asked).</summary>
    private static FileRow[] WritePngs(TempFolder folder, int count, int height, int width, bool grey, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(i =>
        {
            var bgra = new byte[4 * height * width];
            for (int p = 0; p < height * width; p++)
            {
                for (int c = 0; c < 3; c++)
                    bgra[4 * p + c] = (byte)random.Next(256);
                if (grey) bgra[4 * p + 1] = bgra[4 * p + 2] = bgra[4 * p];
                bgra[4 * p + 3] = 255;
            }
            string path = folder.File($"image{i}.png");
            using MLImage image = MLImage.CreateFromPixels(width, height, MLPixelFormat.Bgra32, bgra);
            image.Save(path);
            return new FileRow { Path = path };
        }).ToArray();
    }

    [Fact]
    public void ImageColumnOfAnotherSizeIsRefusedNamingBothSizesAndResizeImages()
    {
        using var folder = new TempFolder();
        var ml = new MLContext(seed: 1);
        IDataView files = ml.Data.LoadFromEnumerable(new[] { new FileRow { Path = "missing.png" } });
        IDataView images = ml.Transforms.LoadImages("Image", folder.Path, "Path")
            .Append(ml.Transforms.ResizeImages("Image", imageWidth: 20, imageHeight: 20))
            .Fit(files).Transform(files);

        var error = Assert.Throws<ArgumentOutOfRangeException>(() => ml.Transforms.Adef("AdversarialPixels", QuadrantBlobs.Classifier, "Image").Fit(images));

        Assert.Contains("column 'Image'", error.Message);
        Assert.Contains("Image<20×20>", error.Message);
        Assert.Contains("12×12", error.Message);
        Assert.Contains("ResizeImages", error.Message);
        var shapeError = Assert.Throws<ArgumentOutOfRangeException>(
            () => ml.Transforms.Adef("AdversarialPixels", QuadrantBlobs.Classifier, "Image").GetOutputSchema(SchemaShapes.Of(images.Schema)));
        Assert.Contains("Image<20×20>", shapeError.Message);

        IDataView sized = ml.Transforms.ResizeImages("Image", imageWidth: 12, imageHeight: 12).Fit(images).Transform(images);
        SchemaShape output = ml.Transforms.Adef("AdversarialPixels", QuadrantBlobs.Classifier, "Image").GetOutputSchema(SchemaShapes.Of(sized.Schema));
        Assert.Contains(output, c => c.Name == "AdversarialPixels");
    }

    [Fact]
    public void ExtractPixelsThenAdefThenApplyOnnxModelConfirmsTheAdversarialLabel()
    {
        using var folder = new TempFolder();
        string onnx = folder.File("mnist-a.onnx");
        manual_seed(5);
        MnistOnnxExporter.Save(new MnistA(), onnx);
        var ml = new MLContext(seed: 1);
        IDataView files = ml.Data.LoadFromEnumerable(WritePngs(folder, 6, 28, 28, grey: true, seed: 3));
        var options = new AdefTransformOptions { Attack = Attack with { BatchSize = 4 }, OutputColumnName = "input" };

        var pipeline = ml.Transforms.LoadImages("Image", folder.Path, "Path")
            .Append(ml.Transforms.ResizeImages("Image", imageWidth: 28, imageHeight: 28))
            .Append(ml.Transforms.ExtractPixels("Pixels", "Image", colorsToExtract: ImagePixelExtractingEstimator.ColorBits.Red,
                interleavePixelColors: false, scaleImage: 1f / 255))
            .Append(ml.Transforms.Adef(onnx, options))
            .Append(ml.Transforms.ApplyOnnxModel(outputColumnNames: ["logits"], inputColumnNames: ["input"], modelFile: onnx));
        var model = pipeline.Fit(files);
        LogitsRow[] rows = ml.Data.CreateEnumerable<LogitsRow>(model.Transform(files), reuseRowObject: false).ToArray();
        foreach (IDisposable disposable in model.OfType<IDisposable>()) disposable.Dispose();

        Assert.Equal(6, rows.Length);
        Assert.Contains(rows, r => r.Success);
        foreach (LogitsRow row in rows)
        {
            Assert.Equal(row.AdversarialLabel, Array.IndexOf(row.Logits, row.Logits.Max()));
            Assert.Equal(row.Success, row.AdversarialLabel != row.OriginalLabel);
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public void AnImageColumnGivesTheSameAttackAsExtractPixels(int channels)
    {
        using var folder = new TempFolder();
        var ml = new MLContext(seed: 1);
        IDataView files = ml.Data.LoadFromEnumerable(WritePngs(folder, 5, 12, 12, grey: channels == 1, seed: 8));
        manual_seed(3);
        var module = nn.Sequential(
            ("conv", nn.Conv2d(channels, 16, 3, padding: 1)), ("relu", nn.ReLU()), ("flatten", nn.Flatten()),
            ("fc", nn.Linear(16 * 12 * 12, 4)));
        using var classifier = new TorchSharpClassifier(module, new ImageShape(channels, 12, 12), 4);
        AdefTransformOptions Options(string input) => new()
        {
            Attack = Attack with { BatchSize = 5 }, ImageScale = 2f / 255, ImageOffset = 127.5f,
            InputColumnName = input, OutputColumnName = "AdversarialPixels",
        };

        // ExtractPixels needs a known-size image column, which ResizeImages gives (to the size the files already have).
        IDataView images = ml.Transforms.LoadImages("Image", folder.Path, "Path")
            .Append(ml.Transforms.ResizeImages("Image", imageWidth: 12, imageHeight: 12))
            .Fit(files).Transform(files);
        IDataView pixels = ml.Transforms.ExtractPixels("Pixels", "Image",
                colorsToExtract: channels == 1 ? ImagePixelExtractingEstimator.ColorBits.Red : ImagePixelExtractingEstimator.ColorBits.Rgb,
                interleavePixelColors: false, offsetImage: 127.5f, scaleImage: 2f / 255)
            .Fit(images).Transform(images);
        AttackedRow[] fromImages = ml.Data.CreateEnumerable<AttackedRow>(
            ml.Transforms.Adef(classifier, Options("Image")).Fit(images).Transform(images), reuseRowObject: false).ToArray();
        AttackedRow[] fromPixels = ml.Data.CreateEnumerable<AttackedRow>(
            ml.Transforms.Adef(classifier, Options("Pixels")).Fit(pixels).Transform(pixels), reuseRowObject: false).ToArray();

        Assert.Equal(5, fromImages.Length);
        Assert.True(fromImages[0].AdversarialPixels.Min() < -0.5f, "the offset and scale map pixels to about [-1, 1]");
        for (int i = 0; i < fromImages.Length; i++)
        {
            Assert.Equal(fromPixels[i].AdversarialPixels, fromImages[i].AdversarialPixels);
            Assert.Equal(fromPixels[i].AdversarialLabel, fromImages[i].AdversarialLabel);
            Assert.Equal(fromPixels[i].Iterations, fromImages[i].Iterations);
            Assert.Equal(fromPixels[i].TNorm, fromImages[i].TNorm);
        }
    }
}
