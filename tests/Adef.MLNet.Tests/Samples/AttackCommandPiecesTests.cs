using Adef.MLNet.Tests.TestSupport;
using Adef.Samples;

namespace Adef.MLNet.Tests.Samples;

/// <summary>The attack command's preprocessing, label CSV reading and PNG round trip.</summary>
[Collection(ConsoleDisplayCollection.Name)]
public class AttackCommandPiecesTests
{
    public static TheoryData<string, double, string, string> Settings => new()
    {
        { "bgr", 255, "104,117,123", "1,1,1" },                               // SqueezeNet (Caffe)
        { "rgb", 1, "0.485,0.456,0.406", "0.229,0.224,0.225" },               // torchvision (MobileNetV2)
        { "gray", 255, "0", "1" },                                            // ONNX zoo MNIST
    };

    [Theory]
    [MemberData(nameof(Settings))]
    public void EveryByteSurvivesNormaliseAndDenormalise(string channels, double scale, string mean, string std)
    {
        int modelChannels = channels == "gray" ? 1 : 3;
        var preprocessing = Preprocessing.Parse("16,16", scale, mean, std, channels, modelChannels, 16, 16);
        var rgba = new byte[16 * 16 * 4];
        for (int p = 0; p < 256; p++)
        {
            byte v = (byte)p;
            // Grey input needs R = G = B to be exactly representable; colour input gets distinct channels.
            rgba[4 * p] = v;
            rgba[4 * p + 1] = modelChannels == 1 ? v : (byte)(255 - p);
            rgba[4 * p + 2] = modelChannels == 1 ? v : (byte)((p * 7) % 256);
            rgba[4 * p + 3] = 255;
        }
        var planar = new float[preprocessing.ImageLength];
        preprocessing.Normalize(rgba, planar);
        Assert.Equal(rgba, preprocessing.Denormalize(planar));
    }

    [Fact]
    public void BgrPutsBlueFirstWithItsOwnMean()
    {
        var preprocessing = Preprocessing.Parse(null, 255, "104,117,123", null, "bgr", 3, 1, 1);
        var planar = new float[3];
        preprocessing.Normalize(new byte[] { 10, 20, 30, 255 }, planar);
        Assert.Equal(new[] { 30f - 104, 20f - 117, 10f - 123 }, planar);
    }

    [Fact]
    public void MismatchedMeanCountAndSizeAreUsageErrors()
    {
        var mean = Assert.Throws<UsageException>(() => Preprocessing.Parse(null, 1, "0.5,0.5", null, "rgb", 3, 224, 224));
        Assert.Contains("--mean has 2", mean.Message);
        var size = Assert.Throws<UsageException>(() => Preprocessing.Parse("32,32", 1, null, null, null, 3, 224, 224));
        Assert.Contains("224×224", size.Message);
    }

    [Fact]
    public void LabelsCsvAcceptsLabelIndexAndQuotedFields()
    {
        string path = Path.Combine(Path.GetTempPath(), $"labels-{Guid.NewGuid():N}.csv");
        File.WriteAllText(path, "path,label_index,name,note\nphotos/a.jpg,3,\"cat, tabby\",\"x \"\"y\"\"\"\nb.png,7,dog,\n");
        try
        {
            var labels = ImageFolderLoader.ReadLabelsCsv(path);
            Assert.Equal(3, labels["photos/a.jpg"]);
            Assert.Equal(7, labels["b.png"]);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void PngRoundTripsAndDecodeFailureNamesTheFile()
    {
        string folder = Path.Combine(Path.GetTempPath(), $"attack-png-{Guid.NewGuid():N}");
        Directory.CreateDirectory(folder);
        try
        {
            var rgba = new byte[4 * 5 * 3];
            for (int i = 0; i < rgba.Length; i++) rgba[i] = i % 4 == 3 ? (byte)255 : (byte)(i * 13 % 256);
            string png = Path.Combine(folder, "sub", "x.png");
            ImageFolderLoader.SavePng(png, rgba, 5, 3);
            Assert.Equal(rgba, ImageFolderLoader.DecodeResized(png, 5, 3));

            string broken = Path.Combine(folder, "broken.jpg");
            File.WriteAllText(broken, "not an image");
            var error = Assert.Throws<UsageException>(() => ImageFolderLoader.DecodeResized(broken, 5, 3));
            Assert.Contains(broken, error.Message);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
