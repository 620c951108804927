namespace Adef.MLNet.Tests.Fuzz;

/// <summary>Byte-level mutations of a serialised file: bit flips, truncation, varint (length-field) corruption, random protobuf fields.</summary>
internal static class ByteMutator
{
    public static (byte[] Bytes, string Mutation) Mutate(byte[] valid, Random random)
    {
        byte[] bytes = (byte[])valid.Clone();
        switch (random.Next(6))
        {
            case 0:
            {
                int flips = 1 + random.Next(8);
                for (int i = 0; i < flips; i++) bytes[random.Next(bytes.Length)] ^= (byte)(1 << random.Next(8));
                return (bytes, $"{flips} bit flip(s)");
            }
            case 1:
            {
                int length = random.Next(bytes.Length);
                return (bytes[..length], $"truncated to {length} bytes");
            }
            case 2:
            {
                // Overwrite a byte that may be a length or size varint with a random varint of random magnitude.
                int at = random.Next(bytes.Length);
                byte[] varint = Varint(RandomMagnitude(random));
                var list = bytes.ToList();
                list.RemoveAt(at);
                list.InsertRange(at, varint);
                return (list.ToArray(), $"varint {BitConverter.ToString(varint)} at {at}");
            }
            case 3:
            {
                byte[] field = RandomField(random);
                int at = random.Next(2) == 0 ? bytes.Length : random.Next(bytes.Length);
                var list = bytes.ToList();
                list.InsertRange(at, field);
                return (list.ToArray(), $"random field {BitConverter.ToString(field.Take(12).ToArray())} at {at}");
            }
            case 4:
            {
                int at = random.Next(bytes.Length), length = Math.Min(bytes.Length - at, 1 + random.Next(64));
                random.NextBytes(bytes.AsSpan(at, length));
                return (bytes, $"{length} random bytes at {at}");
            }
            default:
            {
                int from = random.Next(bytes.Length), length = Math.Min(bytes.Length - from, 1 + random.Next(256));
                int to = random.Next(bytes.Length);
                var list = bytes.ToList();
                list.InsertRange(to, bytes.AsSpan(from, length).ToArray());
                return (list.ToArray(), $"{length} bytes from {from} duplicated at {to}");
            }
        }
    }

    public static ulong RandomMagnitude(Random random) => random.Next(5) switch
    {
        0 => (ulong)random.Next(16),
        1 => (ulong)random.Next(1 << 16),
        2 => (ulong)random.NextInt64(int.MaxValue) + int.MaxValue,
        3 => ulong.MaxValue - (ulong)random.Next(16),
        _ => (ulong)random.NextInt64(),
    };

    public static byte[] Varint(ulong value)
    {
        var bytes = new List<byte>();
        do
        {
            byte b = (byte)(value & 0x7F);
            value >>= 7;
            bytes.Add(value != 0 ? (byte)(b | 0x80) : b);
        }
        while (value != 0);
        return bytes.ToArray();
    }

    private static byte[] RandomField(Random random)
    {
        int number = 1 + random.Next(32);
        int wireType = random.Next(6);
        var bytes = new List<byte>(Varint((ulong)(number << 3 | wireType)));
        switch (wireType)
        {
            case 0: bytes.AddRange(Varint(RandomMagnitude(random))); break;
            case 1: bytes.AddRange(Enumerable.Range(0, 8).Select(_ => (byte)random.Next(256))); break;
            case 2:
            {
                int length = random.Next(40);
                bytes.AddRange(Varint(random.Next(8) == 0 ? RandomMagnitude(random) : (ulong)length));
                bytes.AddRange(Enumerable.Range(0, length).Select(_ => (byte)random.Next(256)));
                break;
            }
            case 5: bytes.AddRange(Enumerable.Range(0, 4).Select(_ => (byte)random.Next(256))); break;
            default: break; // group start/end: invalid or unmatched on purpose
        }
        return bytes.ToArray();
    }
}
