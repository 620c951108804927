using System.Buffers.Binary;

namespace Adef.MLNet.Tests.Evaluation;

/// <summary>Reads the size of a PNG from its signature and IHDR chunk, failing the test if either is wrong.</summary>
internal static class PngHeader
{
    private static readonly byte[] Signature = [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    public static (int Width, int Height) ReadSize(string path)
    {
        byte[] head = new byte[24];
        using (FileStream stream = File.OpenRead(path))
        {
            stream.ReadExactly(head);
        }

        Assert.Equal(Signature, head[..8]);
        Assert.Equal(13, BinaryPrimitives.ReadInt32BigEndian(head.AsSpan(8, 4))); // IHDR data length
        Assert.Equal("IHDR"u8.ToArray(), head[12..16]);
        return (BinaryPrimitives.ReadInt32BigEndian(head.AsSpan(16, 4)), BinaryPrimitives.ReadInt32BigEndian(head.AsSpan(20, 4)));
    }
}
