using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Calltracking.Edge.Sip.Registrar;

/// <summary>The result of checking a REGISTER's credentials.</summary>
public enum DigestVerdict
{
    Valid,
    /// <summary>Wrong password, user or response: challenge again (401), count it.</summary>
    Invalid,
    /// <summary>The response was right for an expired nonce: challenge with <c>stale=true</c> so the UA retries silently.</summary>
    Stale,
    /// <summary>A nonce the edge never issued, a realm of someone else, or an algorithm it does not offer.</summary>
    Malformed,
}

/// <summary>
/// Digest authentication for the registrar (RFC 3261 §22, RFC 2617 with <c>qop=auth</c>, RFC 8760 SHA-256 and
/// MD5). Nonces are stateless — a timestamp and an HMAC over it with a secret shared by all edge instances — so a
/// PBX challenged by one instance can answer to another and nothing is stored per challenge.
/// </summary>
public sealed class DigestAuthenticator(byte[] secret, string realm, TimeSpan nonceLifetime, TimeProvider time)
{
    private const int MacLength = 16;

    public string Realm => realm;

    /// <summary>
    /// The <c>WWW-Authenticate</c> values for a 401, strongest first (RFC 8760 §2.4: a UAC picks the first it
    /// supports; older PBXes only know MD5).
    /// </summary>
    public IReadOnlyList<string> Challenges(bool stale) => Challenges(stale, DefaultAlgorithms);

    /// <summary>The order of preference RFC 8760 asks for; a fleet of older PBXes that read only the first challenge may need MD5 alone.</summary>
    public static IReadOnlyList<string> DefaultAlgorithms { get; } = ["SHA-256", "MD5"];

    public IReadOnlyList<string> Challenges(bool stale, IReadOnlyList<string> algorithms)
    {
        var nonce = IssueNonce();
        var staleParam = stale ? ", stale=true" : string.Empty;
        return algorithms.Select(a => $"Digest realm=\"{realm}\", nonce=\"{nonce}\", algorithm={a}, qop=\"auth\"{staleParam}").ToList();
    }

    public string IssueNonce()
    {
        Span<byte> raw = stackalloc byte[8 + MacLength];
        BinaryPrimitives.WriteInt64BigEndian(raw, time.GetUtcNow().ToUnixTimeSeconds());
        Mac(raw[..8], raw[8..]);
        return Base64Url(raw);
    }

    public DigestVerdict Verify(DigestCredentials credentials, string method, string password)
    {
        if (!string.Equals(credentials.Realm, realm, StringComparison.Ordinal))
        {
            return DigestVerdict.Malformed;
        }

        var algorithm = credentials.Algorithm.ToUpperInvariant();
        if (algorithm is not ("MD5" or "SHA-256"))
        {
            return DigestVerdict.Malformed;
        }

        if (credentials.Qop is not null && (credentials.Qop != "auth" || credentials.Cnonce is null || credentials.NonceCount is null))
        {
            return DigestVerdict.Malformed;
        }

        if (!TryReadNonce(credentials.Nonce, out var issuedAt))
        {
            return DigestVerdict.Malformed;
        }

        var expected = ExpectedResponse(credentials, method, password, algorithm);
        if (!CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(expected), Encoding.ASCII.GetBytes(credentials.Response.ToLowerInvariant())))
        {
            return DigestVerdict.Invalid;
        }

        var age = time.GetUtcNow() - DateTimeOffset.FromUnixTimeSeconds(issuedAt);
        return age > nonceLifetime || age < TimeSpan.FromSeconds(-30) ? DigestVerdict.Stale : DigestVerdict.Valid;
    }

    /// <summary>The <c>response</c> a UA with the right password computes (RFC 2617 §3.2.2.1).</summary>
    public static string ExpectedResponse(DigestCredentials c, string method, string password, string algorithm)
    {
        var ha1 = Hash(algorithm, $"{c.Username}:{c.Realm}:{password}");
        var ha2 = Hash(algorithm, $"{method}:{c.Uri}");
        return c.Qop is null
            ? Hash(algorithm, $"{ha1}:{c.Nonce}:{ha2}")
            : Hash(algorithm, $"{ha1}:{c.Nonce}:{c.NonceCount}:{c.Cnonce}:{c.Qop}:{ha2}");
    }

    private static string Hash(string algorithm, string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        return Convert.ToHexStringLower(algorithm == "SHA-256" ? SHA256.HashData(bytes) : MD5.HashData(bytes));
    }

    private bool TryReadNonce(string nonce, out long issuedAt)
    {
        issuedAt = 0;
        Span<byte> raw = stackalloc byte[8 + MacLength + 4];
        if (!TryFromBase64Url(nonce, raw, out var length) || length != 8 + MacLength)
        {
            return false;
        }

        Span<byte> mac = stackalloc byte[MacLength];
        Mac(raw[..8], mac);
        if (!CryptographicOperations.FixedTimeEquals(mac, raw.Slice(8, MacLength)))
        {
            return false;
        }

        issuedAt = BinaryPrimitives.ReadInt64BigEndian(raw);
        return true;
    }

    private void Mac(ReadOnlySpan<byte> timestamp, Span<byte> destination)
    {
        Span<byte> input = stackalloc byte[8 + 256];
        timestamp.CopyTo(input);
        var realmLength = Encoding.UTF8.GetBytes(realm.AsSpan(0, Math.Min(realm.Length, 64)), input[8..]);
        Span<byte> full = stackalloc byte[32];
        HMACSHA256.HashData(secret, input[..(8 + realmLength)], full);
        full[..MacLength].CopyTo(destination);
    }

    private static string Base64Url(ReadOnlySpan<byte> bytes) =>
        Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static bool TryFromBase64Url(string text, Span<byte> destination, out int written)
    {
        written = 0;
        if (text.Length > 64)
        {
            return false;
        }

        var padded = text.Replace('-', '+').Replace('_', '/');
        padded += (padded.Length % 4) switch { 2 => "==", 3 => "=", 0 => string.Empty, _ => "!" };
        return Convert.TryFromBase64String(padded, destination, out written);
    }
}
