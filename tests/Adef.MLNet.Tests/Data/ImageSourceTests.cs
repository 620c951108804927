using Adef.MLNet.Data;
using Adef.MLNet.Tests.TestSupport;

namespace Adef.MLNet.Tests.Data;

/// <summary>Image files and the sources that read them in ranges.</summary>
public sealed class ImageSourceTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    private static byte[] Pixels(int width, int height, int seed)
    {
        var rgba = new byte[4 * width * height];
        for (int i = 0; i < rgba.Length; i++) rgba[i] = i % 4 == 3 ? (byte)255 : (byte)((i + seed) * 13 % 256);
        return rgba;
    }

    [Fact]
    public void PngRoundTripsAndADecodeFailureNamesTheFile()
    {
        byte[] rgba = Pixels(5, 3, 0);
        string png = _temp.File(Path.Combine("sub", "x.png"));
        ImageFiles.SavePng(png, rgba, 5, 3);
        Assert.Equal(rgba, ImageFiles.DecodeResized(png, 5, 3));

        string broken = _temp.File("broken.jpg");
        File.WriteAllText(broken, "not an image");
        var error = Assert.Throws<DataFileException>(() => ImageFiles.DecodeResized(broken, 5, 3));
        Assert.Contains(broken, error.Message);
        Assert.Equal(broken, error.Path);
        Assert.Throws<DataFileException>(() => ImageFiles.DecodeResized(_temp.File("missing.png"), 5, 3));
    }

    /// <summary>
    /// Downscaling keeps the pixels SkiaSharp 2.88's <c>SKFilterQuality.Medium</c> gave (bilinear within the nearest
    /// mipmap level): the hashes were computed with SkiaSharp 2.88.9 before the move to SkiaSharp 3. The sizes are ones
    /// where linear mipmaps (SkiaSharp 3's mapping of the obsolete <c>Medium</c>) give other pixels.
    /// </summary>
    [Theory]
    [InlineData(45, 34, "C3BE10C4789DFFA4EB246D9029FA3085ACCB9520CBDD3135181E0C6622CD1BFF")]
    [InlineData(90, 68, "A0B33EA5D2BA4ACB98CAF38FACEC380D7AD93F46676C669D40DAA791B911F689")]
    [InlineData(160, 120, "2CC5DA2709BC58D8FA29598045905C5E219201773A4963B408CA27E7D3AB84D7")]
    public void DownscalingKeepsThePixelsOfSkiaSharp288Medium(int width, int height, string sha256)
    {
        const int w = 257, h = 193;
        var rgba = new byte[4 * w * h];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                for (int c = 0; c < 4; c++)
                    rgba[4 * (y * w + x) + c] = c == 3 ? (byte)255 : (byte)((x * 7 + y * 13 + c * 50 + x * y % 17 * 9) % 256);
        string png = _temp.File("pattern.png");
        ImageFiles.SavePng(png, rgba, w, h);

        byte[] resized = ImageFiles.DecodeResized(png, width, height);

        Assert.Equal(sha256, Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(resized)));
    }

    [Fact]
    public void AFolderIsListedRecursivelyByOrdinalRelativePathAndReadInRanges()
    {
        string[] names = ["b.png", "a/z.png", "a/B.PNG", "c.jpeg"];
        for (int i = 0; i < names.Length; i++)
            ImageFiles.SavePng(_temp.File(names[i]), Pixels(4, 2, i), 4, 2);
        File.WriteAllText(_temp.File("notes.txt"), "not listed");
        File.WriteAllText(_temp.File("labels.csv"), "path,label\nb.png,1\na/z.png,2\n");

        var source = new ImageFolderSource(_temp.Path, 4, 2, _temp.File("labels.csv"));

        Assert.Equal(["a/B.PNG", "a/z.png", "b.png", "c.jpeg"], source.Names);
        Assert.Equal(new int?[] { null, 2, 1, null }, source.TrueLabels);
        var all = new byte[4 * 32];
        source.ReadPixels(0, 4, all);
        var middle = new byte[2 * 32];
        source.ReadPixels(1, 2, middle);
        Assert.Equal(all.AsSpan(32, 64).ToArray(), middle);
        Assert.Equal(Pixels(4, 2, 0), middle.AsSpan(32, 32).ToArray()); // b.png was written first
        Assert.Throws<ArgumentOutOfRangeException>(() => source.ReadPixels(3, 2, new byte[64]));
        Assert.Equal(["a/B.PNG", "a/z.png"], new ImageFolderSource(_temp.Path, 4, 2, maxImages: 2).Names);
    }

    [Fact]
    public void ReadNormalizedIsThePreprocessingOfReadPixels()
    {
        ImageFiles.SavePng(_temp.File("a.png"), Pixels(3, 3, 1), 3, 3);
        ImageFiles.SavePng(_temp.File("b.png"), Pixels(3, 3, 2), 3, 3);
        var source = new ImageFolderSource(_temp.Path, 3, 3);
        var preprocessing = new ImagePreprocessing(ChannelOrder.Bgr, 255, [104, 117, 123], [58, 57, 57]);
        var rgba = new byte[2 * 36];
        source.ReadPixels(0, 2, rgba);
        var expected = new float[2 * 27];
        preprocessing.Normalize(rgba.AsSpan(0, 36), expected.AsSpan(0, 27));
        preprocessing.Normalize(rgba.AsSpan(36, 36), expected.AsSpan(27, 27));

        var planar = new float[2 * 27];
        source.ReadNormalized(0, 2, preprocessing, planar);

        Assert.Equal(expected, planar);
    }

    [Fact]
    public void AnIdxFileIsReadAsGreyWithItsLabelFileFoundBesideIt()
    {
        string images = WriteIdx("t10k-images-idx3-ubyte", [3, 2, 2], [0, 1, 2, 3, 10, 11, 12, 13, 20, 21, 22, 23]);
        WriteIdx("t10k-labels-idx1-ubyte", [3], [7, 0, 9]);

        ImageSource source = ImageSource.Open(images, 28, 28);

        var idx = Assert.IsType<IdxImageSource>(source);
        Assert.Equal((2, 2), (idx.Width, idx.Height));
        Assert.Equal(["00000", "00001", "00002"], idx.Names);
        Assert.Equal(new int?[] { 7, 0, 9 }, idx.TrueLabels);
        Assert.Equal(_temp.File("t10k-labels-idx1-ubyte"), idx.LabelsPath);
        var rgba = new byte[16];
        idx.ReadPixels(1, 1, rgba);
        Assert.Equal(new byte[] { 10, 10, 10, 255, 11, 11, 11, 255, 12, 12, 12, 255, 13, 13, 13, 255 }, rgba);
    }

    [Fact]
    public void AnIdxLabelFileShorterThanTheImagesKeptIsAnError()
    {
        string images = WriteIdx("x-images-idx3-ubyte", [3, 1, 1], [1, 2, 3]);
        string labels = WriteIdx("y-labels-idx1-ubyte", [2], [4, 5]);

        Assert.Equal(new int?[] { 4, 5 }, new IdxImageSource(images, labels, maxImages: 2).TrueLabels);
        var error = Assert.Throws<DataFileException>(() => new IdxImageSource(images, labels));
        Assert.Contains("2 labels", error.Message);
        Assert.Null(new IdxImageSource(images).LabelsPath);
    }

    [Fact]
    public void OpeningAMissingPathIsADataFileException()
    {
        var error = Assert.Throws<DataFileException>(() => ImageSource.Open(_temp.File("nowhere"), 4, 4));
        Assert.Contains("nowhere", error.Message);
    }

    private string WriteIdx(string name, int[] dimensions, byte[] data)
    {
        string path = _temp.File(name);
        File.WriteAllBytes(path, IdxBytes.Of(dimensions, data));
        return path;
    }
}
