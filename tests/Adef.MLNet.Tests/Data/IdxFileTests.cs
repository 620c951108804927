using System.Buffers.Binary;
using System.IO.Compression;
using Adef.MLNet.Data;
using Adef.MLNet.Tests.TestSupport;

namespace Adef.MLNet.Tests.Data;

public sealed class IdxFileTests : IDisposable
{
    // Three 2×4 images, row-major; 0 and 255 pin the ends of the scale, 51 = 0.2·255.
    private static readonly byte[] ImageBytes =
    [
        0, 255, 51, 102, 1, 2, 3, 4,
        10, 20, 30, 40, 50, 60, 70, 80,
        128, 127, 200, 100, 5, 6, 7, 8,
    ];

    // Written byte by byte so the big-endian header is pinned independently of the test's own writer:
    // magic 0x00000801 (unsigned bytes, one dimension), size 3, then labels 7, 0, 200 (200 > 127 pins unsigned reading).
    private static readonly byte[] LabelFileBytes = [0x00, 0x00, 0x08, 0x01, 0x00, 0x00, 0x00, 0x03, 7, 0, 200];

    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void ReadReturnsBigEndianDimensionsAndTheRawElements()
    {
        string images = Write("images-idx3-ubyte", IdxBytes.Of([3, 2, 4], ImageBytes));
        string labels = Write("labels-idx1-ubyte", LabelFileBytes);

        var (imageDimensions, imageData) = IdxFile.Read(images);
        var (labelDimensions, labelData) = IdxFile.Read(labels);

        Assert.Equal([3, 2, 4], imageDimensions);
        Assert.Equal(ImageBytes, imageData);
        Assert.Equal([3], labelDimensions);
        Assert.Equal([7, 0, 200], labelData);
    }

    [Fact]
    public void ReadImagesScalesBytesByOneOver255()
    {
        string images = Write("images-idx3-ubyte", IdxBytes.Of([3, 2, 4], ImageBytes));

        var (pixels, count, height, width) = IdxFile.ReadImages(images);

        Assert.Equal(3, count);
        Assert.Equal(2, height);
        Assert.Equal(4, width);
        Assert.Equal(ImageBytes.Length, pixels.Length);
        for (int i = 0; i < ImageBytes.Length; i++)
            Assert.Equal(ImageBytes[i] / 255f, pixels[i]);
        Assert.Equal(0f, pixels[0]);
        Assert.Equal(1f, pixels[1]);
        Assert.Equal(0.2f, pixels[2], 6);
    }

    [Fact]
    public void ReadLabelsReturnsTheUnsignedByteValues()
    {
        string labels = Write("labels-idx1-ubyte", LabelFileBytes);

        Assert.Equal([7, 0, 200], IdxFile.ReadLabels(labels));
    }

    [Fact]
    public void ReadLabeledImagesPairsEachImageWithItsLabel()
    {
        string images = Write("images-idx3-ubyte", IdxBytes.Of([3, 2, 4], ImageBytes));
        string labels = Write("labels-idx1-ubyte", LabelFileBytes);

        LabeledImages set = IdxFile.ReadLabeledImages(images, labels);

        Assert.Equal(3, set.Count);
        Assert.Equal(1, set.Channels);
        Assert.Equal(2, set.Height);
        Assert.Equal(4, set.Width);
        Assert.Equal(8, set.ImageSize);
        Assert.Equal([7, 0, 200], set.Labels);
        for (int n = 0; n < 3; n++)
            Assert.Equal(ImageBytes.AsSpan(8 * n, 8).ToArray().Select(b => b / 255f), set.Image(n).ToArray());
    }

    [Fact]
    public void GzipCompressedFilesReadIdenticallyToUncompressedOnes()
    {
        string images = Write("images-idx3-ubyte", IdxBytes.Of([3, 2, 4], ImageBytes));
        string labels = Write("labels-idx1-ubyte", LabelFileBytes);
        string imagesGz = Write("images-idx3-ubyte.gz", Gzip(IdxBytes.Of([3, 2, 4], ImageBytes)));
        string labelsGz = Write("labels-idx1-ubyte.gz", Gzip(LabelFileBytes));
        // Detection is by the gzip signature, not the file name.
        string imagesGzNoExtension = Write("images-gzip-without-extension", Gzip(IdxBytes.Of([3, 2, 4], ImageBytes)));

        LabeledImages plain = IdxFile.ReadLabeledImages(images, labels);
        LabeledImages compressed = IdxFile.ReadLabeledImages(imagesGz, labelsGz);

        Assert.Equal(plain.Pixels, compressed.Pixels);
        Assert.Equal(plain.Labels, compressed.Labels);
        Assert.Equal((plain.Channels, plain.Height, plain.Width), (compressed.Channels, compressed.Height, compressed.Width));
        Assert.Equal(IdxFile.Read(images).Data, IdxFile.Read(imagesGzNoExtension).Data);
        Assert.Equal(IdxFile.Read(images).Dimensions, IdxFile.Read(imagesGzNoExtension).Dimensions);
    }

    [Fact]
    public void WrongMagicNumberIsReportedWithThePath()
    {
        byte[] bytes = IdxBytes.Of([3, 2, 4], ImageBytes);
        bytes[0] = 0x1a; // not 0x00 (and not a gzip signature)
        string path = Write("bad-magic", bytes);

        var e = Assert.Throws<DataFileException>(() => IdxFile.Read(path));

        Assert.Contains(path, e.Message);
        Assert.Contains("magic", e.Message);
        Assert.Equal(path, e.Path);
    }

    [Fact]
    public void UnsupportedElementTypeIsNamedInTheMessage()
    {
        string path = Write("floats-idx1", IdxBytes.Of([2], new byte[8], type: 0x0D)); // 0x0D = 32-bit float

        var e = Assert.Throws<DataFileException>(() => IdxFile.Read(path));

        Assert.Contains("0x0D", e.Message);
        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void FewerElementsThanTheHeaderDeclaresIsReportedAsTruncated()
    {
        string path = Write("short-idx3", IdxBytes.Of([3, 2, 4], ImageBytes[..^1]));

        var e = Assert.Throws<DataFileException>(() => IdxFile.ReadImages(path));

        Assert.Contains("truncated", e.Message);
        Assert.Contains(path, e.Message);
        Assert.Contains("24", e.Message);
        Assert.Contains("23", e.Message);
    }

    [Fact]
    public void MoreElementsThanTheHeaderDeclaresIsReportedAsTrailingData()
    {
        string path = Write("long-idx3", IdxBytes.Of([3, 2, 4], [.. ImageBytes, 9]));

        var e = Assert.Throws<DataFileException>(() => IdxFile.ReadImages(path));

        Assert.Contains("trailing", e.Message);
        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void HeaderShorterThanTheDeclaredRankIsReportedAsTruncated()
    {
        // Declares three dimensions but the file ends after two sizes.
        string path = Write("short-header", [0x00, 0x00, 0x08, 0x03, 0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0x02]);

        var e = Assert.Throws<DataFileException>(() => IdxFile.Read(path));

        Assert.Contains("truncated", e.Message);
        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void ZeroDeclaredDimensionsIsRejected()
    {
        string path = Write("rank-zero", [0x00, 0x00, 0x08, 0x00]);

        var e = Assert.Throws<DataFileException>(() => IdxFile.Read(path));

        Assert.Contains("zero dimensions", e.Message);
    }

    [Fact]
    public void HeaderWhoseElementCountOverflowsIsReportedAsTruncated()
    {
        // 2^21 · 2^21 · 2^22 = 2^64, which wraps a 64-bit product to 0 and would match an empty body.
        string path = Write("overflow-idx3", IdxBytes.Of([1 << 21, 1 << 21, 1 << 22], []));

        var e = Assert.Throws<DataFileException>(() => IdxFile.ReadImages(path));

        Assert.Contains("truncated", e.Message);
    }

    [Fact]
    public void DimensionSizeAboveIntMaxValueIsRejected()
    {
        byte[] bytes = IdxBytes.Of([1], [0]);
        BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(4), 0x8000_0000u);
        string path = Write("huge-dimension", bytes);

        var e = Assert.Throws<DataFileException>(() => IdxFile.Read(path));

        Assert.Contains("2147483648", e.Message);
        Assert.Contains("not a valid size", e.Message);
    }

    [Fact]
    public void ZeroSizedDimensionDeclaresAnEmptyFile()
    {
        // A zero size after sizes whose product would overflow still means zero elements.
        string empty = Write("empty-idx3", IdxBytes.Of([0, 28, 28], []));
        string zeroAfterHuge = Write("zero-after-huge", IdxBytes.Of([int.MaxValue, int.MaxValue, int.MaxValue, 0], []));

        var (_, count, height, width) = IdxFile.ReadImages(empty);
        Assert.Equal((0, 28, 28), (count, height, width));
        Assert.Empty(IdxFile.Read(zeroAfterHuge).Data);
        var e = Assert.Throws<DataFileException>(() => IdxFile.Read(Write("zero-with-data", IdxBytes.Of([0, 28, 28], [1]))));
        Assert.Contains("trailing", e.Message);
    }

    [Fact]
    public void EmptyFileIsRejectedNamingThePath()
    {
        string path = Write("empty-file", []);

        var e = Assert.Throws<DataFileException>(() => IdxFile.Read(path));

        Assert.Contains(path, e.Message);
        Assert.Contains("magic", e.Message);
    }

    [Fact]
    public void MissingFileIsReportedWithThePath()
    {
        string path = _temp.File("does-not-exist-idx3-ubyte");

        var e = Assert.Throws<DataFileException>(() => IdxFile.ReadImages(path));

        Assert.Contains(path, e.Message);
        Assert.Equal(path, e.Path);
    }

    [Fact]
    public void CorruptGzipStreamIsReportedAsADataError()
    {
        // A valid 10-byte gzip header (deflate, no flags) followed by bytes that are not a deflate stream
        // (0xFF starts a block of the reserved type 3).
        byte[] bytes = [0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, .. Enumerable.Repeat((byte)0xFF, 32)];
        string path = Write("corrupt.gz", bytes);

        var e = Assert.Throws<DataFileException>(() => IdxFile.Read(path));

        Assert.Contains(path, e.Message);
        Assert.Contains("gzip", e.Message);
        Assert.IsType<InvalidDataException>(e.InnerException);
    }

    [Fact]
    public void TruncatedGzipStreamIsReportedAsADataError()
    {
        byte[] compressed = Gzip(IdxBytes.Of([3, 2, 4], ImageBytes));
        string path = Write("cut.gz", compressed[..(compressed.Length / 2)]);

        var e = Assert.Throws<DataFileException>(() => IdxFile.Read(path));

        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void ImageAndLabelCountMismatchNamesBothFiles()
    {
        string images = Write("images-idx3-ubyte", IdxBytes.Of([3, 2, 4], ImageBytes));
        string labels = Write("labels-idx1-ubyte", IdxBytes.Of([2], [1, 2]));

        var e = Assert.Throws<DataFileException>(() => IdxFile.ReadLabeledImages(images, labels));

        Assert.Contains(images, e.Message);
        Assert.Contains(labels, e.Message);
        Assert.Contains("3 images", e.Message);
        Assert.Contains("2 labels", e.Message);
    }

    [Fact]
    public void LabelFilePassedAsImagesIsRejectedAsNotThreeDimensional()
    {
        string labels = Write("labels-idx1-ubyte", LabelFileBytes);

        var e = Assert.Throws<DataFileException>(() => IdxFile.ReadImages(labels));

        Assert.Contains("expected 3 dimensions", e.Message);
        Assert.Contains(labels, e.Message);
    }

    [Fact]
    public void ImageFilePassedAsLabelsIsRejectedAsNotOneDimensional()
    {
        string images = Write("images-idx3-ubyte", IdxBytes.Of([3, 2, 4], ImageBytes));

        var e = Assert.Throws<DataFileException>(() => IdxFile.ReadLabels(images));

        Assert.Contains("expected 1 dimension", e.Message);
    }

    [Fact]
    public void TakeCopiesTheFirstImagesAndLabels()
    {
        var original = new LabeledImages(ImageBytes.Select(b => b / 255f).ToArray(), [7, 0, 9], 1, 2, 4);
        float[] pixelsBefore = original.Pixels.ToArray();

        LabeledImages firstTwo = original.Take(2);

        Assert.Equal(2, firstTwo.Count);
        Assert.Equal((1, 2, 4), (firstTwo.Channels, firstTwo.Height, firstTwo.Width));
        Assert.Equal(pixelsBefore[..16], firstTwo.Pixels);
        Assert.Equal([7, 0], firstTwo.Labels);

        firstTwo.Pixels[0] = 0.5f;
        firstTwo.Labels[0] = 3;
        Assert.Equal(pixelsBefore, original.Pixels);
        Assert.Equal([7, 0, 9], original.Labels);

        // Taking everything still copies.
        LabeledImages all = original.Take(3);
        Assert.NotSame(original.Pixels, all.Pixels);
        Assert.NotSame(original.Labels, all.Labels);
    }

    [Theory]
    [InlineData(10, 3)]
    [InlineData(3, 3)]
    [InlineData(0, 0)]
    [InlineData(-1, 0)]
    public void TakeClampsTheCountToTheImagesAvailable(int requested, int expected)
    {
        var original = new LabeledImages(new float[3 * 8], [7, 0, 9], 1, 2, 4);

        LabeledImages taken = original.Take(requested);

        Assert.Equal(expected, taken.Count);
        Assert.Equal(expected * 8, taken.Pixels.Length);
    }

    private string Write(string name, byte[] bytes)
    {
        string path = _temp.File(name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private static byte[] Gzip(byte[] bytes)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Optimal))
            gzip.Write(bytes);
        return output.ToArray();
    }
}
