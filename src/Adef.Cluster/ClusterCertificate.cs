using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Orleans.Connections.Security;

namespace Adef.Cluster;

/// <summary>
/// The cluster's shared certificate: loading it from its .pfx file, and the mutual TLS that accepts only peers presenting a
/// certificate with the same public key (which, in the TLS handshake, proves they hold its private key). The certificate's
/// chain, name and dates are not checked, so a self-signed certificate works; keep the .pfx file as secret as a password.
/// </summary>
internal static class ClusterCertificate
{
    private const string ServerAuthentication = "1.3.6.1.5.5.7.3.1";
    private const string ClientAuthentication = "1.3.6.1.5.5.7.3.2";

    /// <summary>Reads the certificate and private key of <see cref="ClusterConnection.CertificatePath"/>.</summary>
    /// <exception cref="ArgumentException">The file is not a PKCS#12 file, the password is wrong, it holds no private key, or
    /// its extended key usage forbids server or client authentication; the message names <c>--certificate</c>.</exception>
    public static X509Certificate2 Load(ClusterConnection connection)
    {
        string path = connection.CertificatePath ?? throw new InvalidOperationException("The connection has no certificate.");
        X509Certificate2 certificate;
        try
        {
            certificate = X509CertificateLoader.LoadPkcs12FromFile(path, connection.CertificatePassword, X509KeyStorageFlags.DefaultKeySet);
        }
        catch (CryptographicException e)
        {
            throw new ArgumentException(
                $"--certificate: cannot read '{path}' as a PKCS#12 (.pfx) file: wrong password (--certificate-password-env) or not a .pfx file ({e.Message.TrimEnd('.')}).",
                "certificatePath", e);
        }
        catch (IOException e)
        {
            throw new ArgumentException($"--certificate: cannot read '{path}': {e.Message}", "certificatePath", e);
        }
        if (!certificate.HasPrivateKey)
        {
            certificate.Dispose();
            throw new ArgumentException($"--certificate: '{path}' holds no private key (export the .pfx with its key).", "certificatePath");
        }
        if (certificate.Extensions.OfType<X509EnhancedKeyUsageExtension>().FirstOrDefault() is { } usage)
        {
            var oids = usage.EnhancedKeyUsages.Cast<Oid>().Select(o => o.Value).ToHashSet();
            if (!oids.Contains(ServerAuthentication) || !oids.Contains(ClientAuthentication))
            {
                certificate.Dispose();
                throw new ArgumentException(
                    $"--certificate: the extended key usage of '{path}' must allow both server and client authentication (serverAuth,clientAuth), or be absent.",
                    "certificatePath");
            }
        }
        return certificate;
    }

    /// <summary>Whether <paramref name="remote"/> has the public key <paramref name="ownPublicKey"/> (its SubjectPublicKeyInfo).</summary>
    public static bool SameKey(X509Certificate2 remote, ReadOnlySpan<byte> ownPublicKey) =>
        CryptographicOperations.FixedTimeEquals(remote.PublicKey.ExportSubjectPublicKeyInfo(), ownPublicKey);

    /// <summary>Mutual TLS with <paramref name="certificate"/>: present it, require the peer's, accept only the same public key.</summary>
    public static void Configure(TlsOptions options, X509Certificate2 certificate)
    {
        byte[] publicKey = certificate.PublicKey.ExportSubjectPublicKeyInfo();
        options.LocalCertificate = certificate;
        options.RemoteCertificateMode = RemoteCertificateMode.RequireCertificate;
        options.ClientCertificateMode = RemoteCertificateMode.RequireCertificate;
        // Chain and name errors are expected (self-signed, one certificate for every host): the pin is the check.
        options.RemoteCertificateValidation = (remote, _, _) => remote is not null && SameKey(remote, publicKey);
        options.HandshakeTimeout = TimeSpan.FromSeconds(5);
    }
}
