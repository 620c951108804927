using System.Buffers.Binary;
using System.IO.Compression;

namespace Adef.MLNet.Data;

/// <summary>
/// Reads the idx format of the MNIST family (LeCun et al.): a big-endian magic number
/// <c>0x0000TTDD</c> (TT = element type, DD = number of dimensions), DD big-endian 32-bit sizes,
/// then the elements. Only unsigned bytes (type 0x08) are supported, which is what image and
/// label files use. Files ending in <c>.gz</c> or starting with the gzip signature are decompressed.
/// </summary>
public static class IdxFile
{
    private const byte UnsignedByteType = 0x08;

    /// <summary>Largest decompressed idx file accepted (a gzip bomb is refused before it fills memory): 1 GiB.</summary>
    private const long MaxDecompressedBytes = 1L << 30;

    /// <summary>Reads an idx file of unsigned bytes, returning its dimensions and elements.</summary>
    /// <exception cref="DataFileException">The file is missing, not idx, truncated, or has trailing data.</exception>
    public static (int[] Dimensions, byte[] Data) Read(string path)
    {
        byte[] bytes = ReadAllBytesDecompressed(path);
        if (bytes.Length < 4)
            throw new DataFileException($"'{path}' is not an idx file: it has {bytes.Length} bytes, fewer than the 4-byte magic number.", path);
        if (bytes[0] != 0 || bytes[1] != 0)
            throw new DataFileException(
                $"'{path}' is not an idx file: wrong magic number 0x{BinaryPrimitives.ReadUInt32BigEndian(bytes):X8} (expected 0x0000TTDD).", path);
        if (bytes[2] != UnsignedByteType)
            throw new DataFileException(
                $"'{path}' holds idx element type 0x{bytes[2]:X2}; only unsigned bytes (0x08) are supported.", path);
        int rank = bytes[3];
        if (rank == 0)
            throw new DataFileException($"'{path}' declares zero dimensions.", path);
        int headerLength = 4 + 4 * rank;
        if (bytes.Length < headerLength)
            throw new DataFileException($"'{path}' is truncated: its header needs {headerLength} bytes, the file has {bytes.Length}.", path);

        var dimensions = new int[rank];
        long elementCount = 1; // saturates at long.MaxValue instead of wrapping; a zero size still makes it 0
        for (int d = 0; d < rank; d++)
        {
            uint size = BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(4 + 4 * d));
            if (size > int.MaxValue)
                throw new DataFileException($"'{path}' declares dimension {d} of size {size}, which is not a valid size.", path);
            dimensions[d] = (int)size;
            elementCount = size == 0 ? 0 : elementCount > long.MaxValue / size ? long.MaxValue : elementCount * size;
        }
        long available = bytes.Length - headerLength;
        if (elementCount != available)
        {
            string shape = string.Join('×', dimensions);
            string problem = elementCount > available ? "is truncated" : "has trailing data";
            throw new DataFileException(
                $"'{path}' {problem}: its header declares {shape} = {elementCount} elements, but {available} bytes follow the header.", path);
        }
        return (dimensions, bytes.AsSpan(headerLength).ToArray());
    }

    /// <summary>Reads an idx3 image file (N×H×W bytes) as N×1×H×W floats scaled to [0, 1].</summary>
    public static (float[] Pixels, int Count, int Height, int Width) ReadImages(string path)
    {
        var (dimensions, data) = Read(path);
        if (dimensions.Length != 3)
            throw new DataFileException($"'{path}' is not an image file: expected 3 dimensions (N×H×W), found {dimensions.Length}.", path);
        var pixels = new float[data.Length];
        new ImagePreprocessing(ChannelOrder.Gray).NormalizeGray(data, pixels);
        return (pixels, dimensions[0], dimensions[1], dimensions[2]);
    }

    /// <summary>Reads an idx1 label file (N bytes) as integers.</summary>
    public static int[] ReadLabels(string path)
    {
        var (dimensions, data) = Read(path);
        if (dimensions.Length != 1)
            throw new DataFileException($"'{path}' is not a label file: expected 1 dimension, found {dimensions.Length}.", path);
        return Array.ConvertAll(data, b => (int)b);
    }

    /// <summary>Reads an image file and its label file into one <see cref="LabeledImages"/>.</summary>
    public static LabeledImages ReadLabeledImages(string imagesPath, string labelsPath)
    {
        var (pixels, count, height, width) = ReadImages(imagesPath);
        int[] labels = ReadLabels(labelsPath);
        if (labels.Length != count)
            throw new DataFileException(
                $"'{imagesPath}' holds {count} images but '{labelsPath}' holds {labels.Length} labels.", labelsPath);
        return new LabeledImages(pixels, labels, 1, height, width);
    }

    private static byte[] ReadAllBytesDecompressed(string path)
    {
        if (!File.Exists(path))
            throw new DataFileException($"idx file '{path}' does not exist.", path);
        try
        {
            byte[] raw = File.ReadAllBytes(path);
            bool gzip = raw.Length >= 2 && raw[0] == 0x1f && raw[1] == 0x8b;
            if (!gzip) return raw;
            using var input = new GZipStream(new MemoryStream(raw), CompressionMode.Decompress);
            using var output = new MemoryStream();
            var buffer = new byte[81920];
            for (int read; (read = input.Read(buffer)) > 0;)
            {
                if (output.Length + read > MaxDecompressedBytes)
                    throw new DataFileException(
                        $"'{path}' decompresses to more than {MaxDecompressedBytes >> 20} MiB, more than any idx file this library reads; " +
                        "it is corrupt or not an idx file.", path);
                output.Write(buffer, 0, read);
            }
            return output.ToArray();
        }
        catch (InvalidDataException e)
        {
            throw new DataFileException($"'{path}' is a corrupt or truncated gzip stream: {e.Message}", path, e);
        }
        catch (IOException e)
        {
            throw new DataFileException($"Could not read '{path}': {e.Message}", path, e);
        }
    }
}
