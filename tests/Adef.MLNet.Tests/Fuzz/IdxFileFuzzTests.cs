using Xunit.Abstractions;
using Adef.MLNet.Data;
using Adef.MLNet.Tests.TestSupport;
using System.IO.Compression;

namespace Adef.MLNet.Tests.Fuzz;

/// <summary>Mutated idx files (plain and gzip) must read, or fail with <see cref="DataFileException"/>, within the case time bound.</summary>
public class IdxFileFuzzTests(ITestOutputHelper output)
{
    [Fact]
    public void FuzzedIdxFilesReadOrFailWithADocumentedException()
    {
        using var folder = new TempFolder();
        int cases = FuzzHarness.Cases(700);
        var random = new Random(FuzzHarness.Seed(6003));
        byte[] images = Idx(new[] { 5, 4, 3 }, random), labels = Idx(new[] { 5 }, random);
        byte[] gzipped = Gzip(images);
        var failures = new List<string>();
        var outcomes = new Dictionary<string, int>();
        for (int c = 0; c < cases; c++)
        {
            byte[] valid = (c % 3) switch { 0 => images, 1 => labels, _ => gzipped };
            (byte[] bytes, string mutation) = random.Next(4) == 0 ? HeaderMutation(valid, random) : ByteMutator.Mutate(valid, random);
            string path = Path.Combine(folder.Path, $"case{c % 8}.idx");
            File.WriteAllBytes(path, bytes);
            string outcome = FuzzHarness.Run(c, mutation, () =>
            {
                if (c % 3 == 1) IdxFile.ReadLabels(path);
                else IdxFile.ReadImages(path);
            }, failures);
            FuzzHarness.Count(outcomes, outcome);
        }
        FuzzHarness.AssertNoFailures(failures, cases, outcomes, output);
    }

    /// <summary>Corrupts the magic number, the rank or a dimension (the length fields of the format).</summary>
    private static (byte[] Bytes, string Mutation) HeaderMutation(byte[] valid, Random random)
    {
        byte[] bytes = valid[0] == 0x1f ? Ungzip(valid) : (byte[])valid.Clone();
        int rank = bytes[3];
        int field = random.Next(rank + 2);
        uint value = random.Next(4) switch { 0 => 0, 1 => uint.MaxValue, 2 => (uint)random.Next(), _ => (uint)random.Next(16) };
        if (field == 0) bytes[2] = (byte)value;
        else if (field == 1) bytes[3] = (byte)value;
        else System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(4 + 4 * (field - 2)), value);
        return (valid[0] == 0x1f ? Gzip(bytes) : bytes, $"header field {field} → {value}");
    }

    private static byte[] Idx(int[] dimensions, Random random)
    {
        int count = dimensions.Aggregate(1, (p, d) => p * d);
        var bytes = new byte[4 + 4 * dimensions.Length + count];
        bytes[2] = 0x08;
        bytes[3] = (byte)dimensions.Length;
        for (int d = 0; d < dimensions.Length; d++)
            System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4 + 4 * d), dimensions[d]);
        random.NextBytes(bytes.AsSpan(4 + 4 * dimensions.Length));
        return bytes;
    }

    private static byte[] Gzip(byte[] bytes)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest)) gzip.Write(bytes);
        return output.ToArray();
    }

    private static byte[] Ungzip(byte[] bytes)
    {
        using var input = new GZipStream(new MemoryStream(bytes), CompressionMode.Decompress);
        using var output = new MemoryStream();
        input.CopyTo(output);
        return output.ToArray();
    }
}
