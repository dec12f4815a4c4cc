using System.Security.Cryptography;
using System.Text;

namespace Calltracking.Edge.Host.Migrations;

/// <summary>One versioned SQL script. The version comes from the file name (<c>0100_catalogue.sql</c> → 100).</summary>
public sealed record Migration(int Version, string Name, string Sql)
{
    /// <summary>SHA-256 of the script: an applied migration whose file later changes stops start-up.</summary>
    public string Checksum { get; } = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Sql)));
}
