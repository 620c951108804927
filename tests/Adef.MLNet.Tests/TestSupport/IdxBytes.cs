using System.Buffers.Binary;

namespace Adef.MLNet.Tests.TestSupport;

/// <summary>The bytes of idx files written by hand for tests.</summary>
internal static class IdxBytes
{
    /// <summary>An idx file: magic 0x0000TTDD, big-endian 32-bit sizes, then <paramref name="data"/> as given.</summary>
    public static byte[] Of(int[] dimensions, byte[] data, byte type = 0x08)
    {
        var bytes = new byte[4 + 4 * dimensions.Length + data.Length];
        bytes[2] = type;
        bytes[3] = (byte)dimensions.Length;
        for (int d = 0; d < dimensions.Length; d++)
            BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4 + 4 * d), dimensions[d]);
        data.CopyTo(bytes, 4 + 4 * dimensions.Length);
        return bytes;
    }
}
