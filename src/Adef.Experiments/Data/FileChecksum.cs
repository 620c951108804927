using System.Security.Cryptography;

using Adef.MLNet;

namespace Adef.Experiments;

internal static class FileChecksum
{
    public static string Sha256(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    public static void Verify(string path, string expectedSha256, string whatFor)
    {
        string actual = Sha256(path);
        if (!string.Equals(actual, expectedSha256, StringComparison.OrdinalIgnoreCase))
            throw new DataFileException(
                $"{whatFor}: '{path}' has sha256 {actual}, expected {expectedSha256}. Delete it and run again.", path);
    }
}
