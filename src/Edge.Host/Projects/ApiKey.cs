using System.Security.Cryptography;
using System.Text;

namespace Calltracking.Edge.Host.Projects;

/// <summary>API keys: 256-bit random secrets shown once, stored only as their SHA-256.</summary>
public static class ApiKey
{
    public static string Generate() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));

    public static byte[] Hash(string key) => SHA256.HashData(Encoding.UTF8.GetBytes(key));

    /// <summary>The first characters, kept in clear so an operator can tell keys apart.</summary>
    public static string Prefix(string key) => key.Length <= 8 ? key : key[..8];
}
