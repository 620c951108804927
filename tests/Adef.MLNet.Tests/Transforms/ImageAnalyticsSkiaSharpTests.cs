using Microsoft.ML;
using Microsoft.ML.Data;
using SkiaSharp;

namespace Adef.MLNet.Tests.Transforms;

/// <summary>
/// Microsoft.ML.ImageAnalytics 6.0.0 is built on SkiaSharp 3.119 (5.0.1 was compiled against SkiaSharp 2.88 and fails at
/// run time with 3.x: <c>SKBitmap.GetPixelSpan</c> changed its return type). This project pins one SkiaSharp for ML.NET,
/// its image files and its figures; this test fails if that SkiaSharp stops working with LoadImages → ResizeImages →
/// ExtractPixels.
/// </summary>
public sealed class ImageAnalyticsSkiaSharpTests : IDisposable
{
    private readonly string folder = Path.Combine(Path.GetTempPath(), "adef-imageanalytics-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(folder))
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private sealed class ImagePath
    {
        public string Path { get; set; } = "";
    }

    [Fact]
    public void LoadResizeAndExtractPixelsGiveThePngsExactColours()
    {
        const int width = 4, height = 3;
        Directory.CreateDirectory(folder);
        var rgba = new byte[4 * width * height];
        for (int p = 0; p < width * height; p++)
        {
            rgba[4 * p] = (byte)(20 * p);
            rgba[4 * p + 1] = (byte)(255 - 20 * p);
            rgba[4 * p + 2] = (byte)(7 * p);
            rgba[4 * p + 3] = 255;
        }

        var info = new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        using (SKImage image = SKImage.FromPixelCopy(info, rgba, 4 * width))
        using (SKData png = image.Encode(SKEncodedImageFormat.Png, 100))
        using (FileStream file = File.Create(Path.Combine(folder, "colours.png")))
        {
            png.SaveTo(file);
        }

        var ml = new MLContext(seed: 1);
        IDataView paths = ml.Data.LoadFromEnumerable([new ImagePath { Path = "colours.png" }]);
        var pipeline = ml.Transforms.LoadImages("Image", folder, nameof(ImagePath.Path))
            .Append(ml.Transforms.ResizeImages("Image", width, height))
            .Append(ml.Transforms.ExtractPixels("Pixels", "Image"));
        IDataView pixels = pipeline.Fit(paths).Transform(paths);
        float[] planar = pixels.GetColumn<VBuffer<float>>("Pixels").Single().DenseValues().ToArray();

        // ExtractPixels is channel-planar: all red values, then green, then blue.
        Assert.Equal(3 * width * height, planar.Length);
        for (int p = 0; p < width * height; p++)
        {
            Assert.Equal(rgba[4 * p], planar[p]);
            Assert.Equal(rgba[4 * p + 1], planar[width * height + p]);
            Assert.Equal(rgba[4 * p + 2], planar[2 * width * height + p]);
        }
    }
}
