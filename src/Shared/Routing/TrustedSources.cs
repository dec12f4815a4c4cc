using System.Net;
using System.Net.Sockets;

namespace Calltracking.Shared.Routing;

/// <summary>
/// Sources the edge trusts, as a list of CIDR blocks (IPv4 and IPv6): carriers allowed to send INVITEs, reverse
/// proxies whose <c>X-Forwarded-For</c> is believed. Matching is a linear scan over pre-masked prefixes; such lists
/// are tens of entries, where a scan beats a trie in practice.
/// </summary>
public sealed class TrustedSources
{
    private readonly (byte[] Prefix, int Bits, AddressFamily Family)[] blocks;

    private TrustedSources((byte[] Prefix, int Bits, AddressFamily Family)[] blocks) => this.blocks = blocks;

    public int Count => blocks.Length;

    /// <summary>Parses entries like <c>10.0.0.0/8</c>, <c>192.0.2.7</c>, <c>2001:db8::/32</c>.</summary>
    /// <exception cref="FormatException">An entry is not an address or a CIDR block; the message names it.</exception>
    public static TrustedSources Parse(IEnumerable<string> entries)
    {
        var parsed = new List<(byte[], int, AddressFamily)>();
        foreach (var raw in entries)
        {
            var entry = raw.Trim();
            if (!TryParseBlock(entry, out var block))
            {
                throw new FormatException($"'{entry}' is not an IP address or CIDR block");
            }

            parsed.Add(block);
        }

        return new TrustedSources([.. parsed]);
    }

    public static bool TryParseBlock(string entry, out (byte[] Prefix, int Bits, AddressFamily Family) block)
    {
        block = default;
        var slash = entry.IndexOf('/', StringComparison.Ordinal);
        var addressText = slash < 0 ? entry : entry[..slash];
        if (!IPAddress.TryParse(addressText, out var address))
        {
            return false;
        }

        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        var bytes = address.GetAddressBytes();
        var maxBits = bytes.Length * 8;
        var bits = maxBits;
        if (slash >= 0 && (!int.TryParse(entry.AsSpan(slash + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out bits) || bits > maxBits))
        {
            return false;
        }

        Mask(bytes, bits);
        block = (bytes, bits, address.AddressFamily);
        return true;
    }

    public bool Contains(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        Span<byte> bytes = stackalloc byte[16];
        if (!address.TryWriteBytes(bytes, out var length))
        {
            return false;
        }

        bytes = bytes[..length];
        foreach (var (prefix, bits, family) in blocks)
        {
            if (family == address.AddressFamily && Matches(bytes, prefix, bits))
            {
                return true;
            }
        }

        return false;
    }

    private static bool Matches(ReadOnlySpan<byte> address, byte[] prefix, int bits)
    {
        var full = bits / 8;
        if (!address[..full].SequenceEqual(prefix.AsSpan(0, full)))
        {
            return false;
        }

        var rest = bits % 8;
        if (rest == 0)
        {
            return true;
        }

        var mask = (byte)(0xFF << (8 - rest));
        return (address[full] & mask) == prefix[full];
    }

    private static void Mask(byte[] bytes, int bits)
    {
        for (var i = 0; i < bytes.Length; i++)
        {
            var keep = Math.Clamp(bits - (i * 8), 0, 8);
            bytes[i] &= (byte)(0xFF << (8 - keep));
        }
    }
}
