using Adef.MLNet.Data;

namespace Adef.MLNet.Tests.Data;

/// <summary>The one pixel preprocessing of the library, the attack command and the ML.NET image column.</summary>
public class ImagePreprocessingTests
{
    public static TheoryData<ChannelOrder, double, double[], double[]> Settings => new()
    {
        { ChannelOrder.Bgr, 255, [104, 117, 123], [1, 1, 1] },                              // SqueezeNet (Caffe)
        { ChannelOrder.Rgb, 1, [0.485, 0.456, 0.406], [0.229, 0.224, 0.225] },              // torchvision (MobileNetV2)
        { ChannelOrder.Gray, 255, [0], [1] },                                               // ONNX zoo MNIST
        { ChannelOrder.Gray, 1, [0.1307], [0.3081] },                                       // torchvision MNIST
    };

    /// <summary>256 pixels: every byte in red; distinct green and blue for colour, R = G = B for grey.</summary>
    private static byte[] EveryByte(bool grey)
    {
        var rgba = new byte[256 * 4];
        for (int p = 0; p < 256; p++)
        {
            rgba[4 * p] = (byte)p;
            rgba[4 * p + 1] = grey ? (byte)p : (byte)(255 - p);
            rgba[4 * p + 2] = grey ? (byte)p : (byte)(p * 7 % 256);
            rgba[4 * p + 3] = 255;
        }
        return rgba;
    }

    [Theory]
    [MemberData(nameof(Settings))]
    public void EveryByteSurvivesNormalizeAndDenormalize(ChannelOrder order, double scale, double[] mean, double[] std)
    {
        var preprocessing = new ImagePreprocessing(order, scale, mean, std);
        byte[] rgba = EveryByte(grey: order == ChannelOrder.Gray);
        var planar = new float[preprocessing.Channels * 256];

        preprocessing.Normalize(rgba, planar);

        Assert.Equal(rgba, preprocessing.Denormalize(planar));
    }

    [Theory]
    [MemberData(nameof(Settings))]
    public void BgraPixelsGiveTheSameValuesAsTheirRgbaOrder(ChannelOrder order, double scale, double[] mean, double[] std)
    {
        var preprocessing = new ImagePreprocessing(order, scale, mean, std);
        byte[] rgba = EveryByte(grey: false);
        byte[] bgra = (byte[])rgba.Clone();
        for (int p = 0; p < 256; p++) (bgra[4 * p], bgra[4 * p + 2]) = (rgba[4 * p + 2], rgba[4 * p]);
        float[] fromRgba = new float[preprocessing.Channels * 256], fromBgra = new float[preprocessing.Channels * 256];

        preprocessing.Normalize(rgba, fromRgba);
        preprocessing.Normalize(bgra, fromBgra, PixelLayout.Bgra);

        Assert.Equal(fromRgba, fromBgra);
    }

    [Fact]
    public void BgrPutsBlueFirstWithItsOwnMeanAndStd()
    {
        var preprocessing = new ImagePreprocessing(ChannelOrder.Bgr, 255, [104, 117, 123], [2, 4, 8]);
        var planar = new float[3];

        preprocessing.Normalize(new byte[] { 10, 20, 30, 255 }, planar);

        Assert.Equal(new[] { (30f - 104) / 2, (20f - 117) / 4, (10f - 123) / 8 }, planar);
        Assert.Equal(new byte[] { 10, 20, 30, 255 }, preprocessing.Denormalize(planar));
    }

    [Fact]
    public void ValuesFollowTheDocumentedFormula()
    {
        var preprocessing = new ImagePreprocessing(ChannelOrder.Rgb, 1, [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]);
        var planar = new float[3];

        preprocessing.Normalize(new byte[] { 255, 0, 128, 255 }, planar);

        Assert.Equal((float)((1 - 0.485) / 0.229), planar[0]);
        Assert.Equal((float)((0 - 0.456) / 0.224), planar[1]);
        Assert.Equal((float)((128 / 255.0 - 0.406) / 0.225), planar[2]);
    }

    [Fact]
    public void GreyIsTheRoundedLumaOfTheColour()
    {
        var preprocessing = new ImagePreprocessing(ChannelOrder.Gray, 255);
        var planar = new float[2];

        preprocessing.Normalize(new byte[] { 255, 0, 0, 255, 10, 200, 40, 255 }, planar);

        Assert.Equal(76f, planar[0]);                                      // 0.299·255 = 76.2
        Assert.Equal(125f, planar[1]);                                     // 2.99 + 117.4 + 4.56 = 124.95
        Assert.Equal((byte)125, ImagePreprocessing.Luma(10, 200, 40));
        Assert.Equal((byte)77, ImagePreprocessing.Luma(77, 77, 77));
    }

    [Fact]
    public void DenormalizeRoundsAndClampsToBytes()
    {
        var preprocessing = new ImagePreprocessing(ChannelOrder.Gray, 255);

        byte[] rgba = preprocessing.Denormalize(new[] { -3f, 0.5f, 1.49f, 254.5f, 300f, float.NaN });

        Assert.Equal(new byte[] { 0, 1, 1, 255, 255, 0 }, Enumerable.Range(0, 6).Select(p => rgba[4 * p]));
        Assert.All(Enumerable.Range(0, 6), p => Assert.Equal(255, rgba[4 * p + 3]));
    }

    [Fact]
    public void ToDisplayGivesRgbOrderInZeroToOne()
    {
        var preprocessing = new ImagePreprocessing(ChannelOrder.Bgr, 255, [100, 100, 100]);
        var planar = new float[3];
        preprocessing.Normalize(new byte[] { 255, 0, 51, 255 }, planar);

        float[] display = preprocessing.ToDisplay(planar);

        Assert.Equal(new[] { 1f, 0f, 0.2f }, display);
    }

    [Fact]
    public void ChannelBoundsAreTheValuesOfBytesZeroAndFullPerChannel()
    {
        var torchvision = new ImagePreprocessing(ChannelOrder.Rgb, 1, [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]);
        Assert.Equal(((float)(-0.485 / 0.229), (float)(0.515 / 0.229)), torchvision.ChannelBounds(0));
        Assert.Equal(((float)(-0.406 / 0.225), (float)(0.594 / 0.225)), torchvision.ChannelBounds(2));
        var inverted = new ImagePreprocessing(ChannelOrder.Gray, -255, [0], [1]);
        Assert.Equal((-255f, 0f), inverted.ChannelBounds(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => torchvision.ChannelBounds(3));
        foreach (byte level in new byte[] { 0, 255 })
        {
            var planar = new float[3];
            torchvision.Normalize(new byte[] { level, level, level, 255 }, planar);
            for (int c = 0; c < 3; c++)
                Assert.Equal(level == 0 ? torchvision.ChannelBounds(c).Min : torchvision.ChannelBounds(c).Max, planar[c]);
        }
    }

    [Fact]
    public void GreyLevelsNormaliseAsGreyPixelsDoAndAsIdxFilesAlwaysHave()
    {
        byte[] levels = Enumerable.Range(0, 256).Select(v => (byte)v).ToArray();
        byte[] rgba = levels.SelectMany(v => new[] { v, v, v, (byte)255 }).ToArray();
        foreach (var preprocessing in new[] { new ImagePreprocessing(ChannelOrder.Gray), new ImagePreprocessing(ChannelOrder.Gray, 255, [33], [78]) })
        {
            float[] fromLevels = new float[256], fromPixels = new float[256];
            preprocessing.NormalizeGray(levels, fromLevels);
            preprocessing.Normalize(rgba, fromPixels);
            Assert.Equal(fromPixels, fromLevels);
        }
        var unit = new float[256];
        new ImagePreprocessing(ChannelOrder.Gray).NormalizeGray(levels, unit);
        Assert.Equal(levels.Select(v => v / 255f), unit); // bit for bit: MNIST's pixels did not change
        Assert.Throws<InvalidOperationException>(() => new ImagePreprocessing(ChannelOrder.Rgb).NormalizeGray(levels, unit));
    }

    [Fact]
    public void LevelsPerUnitTurnsInputUnitsIntoEightBitLevels()
    {
        var caffe = new ImagePreprocessing(ChannelOrder.Bgr, 255, [104, 117, 123]);
        Assert.Equal(1, caffe.LevelsPerUnit(1));
        var torchvision = new ImagePreprocessing(ChannelOrder.Rgb, 1, [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]);
        Assert.Equal(255 * 0.224, torchvision.LevelsPerUnit(1), 12);
        var planar = new float[3];
        torchvision.Normalize(new byte[] { 10, 10, 10, 255 }, planar);
        var brighter = new float[3];
        torchvision.Normalize(new byte[] { 30, 30, 30, 255 }, brighter);
        for (int c = 0; c < 3; c++) Assert.Equal(20, (brighter[c] - planar[c]) * torchvision.LevelsPerUnit(c), 4);
    }

    [Fact]
    public void BadValuesAreArgumentExceptionsNamingTheValue()
    {
        var scale = Assert.Throws<ArgumentOutOfRangeException>(() => new ImagePreprocessing(ChannelOrder.Rgb, 0));
        Assert.Equal("scale", scale.ParamName);
        var count = Assert.Throws<ArgumentException>(() => new ImagePreprocessing(ChannelOrder.Rgb, 1, [0.5, 0.5]));
        Assert.Equal("mean", count.ParamName);
        Assert.Contains("2 value(s)", count.Message);
        var std = Assert.Throws<ArgumentOutOfRangeException>(() => new ImagePreprocessing(ChannelOrder.Gray, 1, null, [-0.5]));
        Assert.Equal("std", std.ParamName);
        Assert.Equal(-0.5, std.ActualValue);
        var mean = Assert.Throws<ArgumentOutOfRangeException>(() => new ImagePreprocessing(ChannelOrder.Gray, 1, [double.NaN]));
        Assert.Contains("Mean[0]", mean.Message);
        var planar = Assert.Throws<ArgumentException>(() => new ImagePreprocessing(ChannelOrder.Gray).Normalize(new byte[8], new float[3]));
        Assert.Equal("planar", planar.ParamName);
    }

    [Fact]
    public void EqualityComparesTheValues()
    {
        var a = new ImagePreprocessing(ChannelOrder.Rgb, 1, [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]);
        var b = new ImagePreprocessing(ChannelOrder.Rgb, 1, [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]);

        Assert.Equal(a, b);
        Assert.Equal(a.GetHashCode(), b.GetHashCode());
        Assert.NotEqual(a, new ImagePreprocessing(ChannelOrder.Bgr, 1, [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]));
        Assert.Equal("Rgb, scale 1, mean [0.485, 0.456, 0.406], std [0.229, 0.224, 0.225]", a.ToString());
    }
}
