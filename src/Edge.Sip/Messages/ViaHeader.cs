using System.Globalization;
using System.Text;

namespace Calltracking.Edge.Sip.Messages;

/// <summary>One Via value (RFC 3261 §20.42, §18.2.1; RFC 3581 <c>rport</c>).</summary>
public sealed class ViaHeader
{
    /// <summary>The RFC 3261 branch prefix that marks a globally unique branch (§8.1.1.7).</summary>
    public const string MagicCookie = "z9hG4bK";

    public required string Transport { get; init; }

    public required string Host { get; init; }

    public int? Port { get; init; }

    public IReadOnlyList<KeyValuePair<string, string?>> Parameters { get; init; } = [];

    public string? Branch => Parameter("branch");

    public string? Received => Parameter("received");

    /// <summary>The rport value: null when absent, empty when present without a value.</summary>
    public string? RPort => Parameter("rport");

    public bool IsRfc3261Branch => Branch is { } b && b.StartsWith(MagicCookie, StringComparison.Ordinal);

    public string SentBy => Port is { } p ? $"{HostForUri}:{p.ToString(CultureInfo.InvariantCulture)}" : HostForUri;

    private string HostForUri => Host.Contains(':', StringComparison.Ordinal) ? $"[{Host}]" : Host;

    public string? Parameter(string name)
    {
        foreach (var (key, value) in Parameters)
        {
            if (string.Equals(key, name, StringComparison.OrdinalIgnoreCase))
            {
                return value ?? string.Empty;
            }
        }

        return null;
    }

    public static ViaHeader? Parse(string text, out string? error)
    {
        error = null;
        var s = text.Trim();
        // sent-protocol = protocol-name SLASH protocol-version SLASH transport, with optional LWS around the slashes
        var parts = new List<string>(3);
        var i = 0;
        for (var k = 0; k < 3; k++)
        {
            while (i < s.Length && char.IsWhiteSpace(s[i]))
            {
                i++;
            }

            var start = i;
            while (i < s.Length && !char.IsWhiteSpace(s[i]) && s[i] != '/')
            {
                i++;
            }

            parts.Add(s[start..i]);
            while (i < s.Length && char.IsWhiteSpace(s[i]))
            {
                i++;
            }

            if (k < 2)
            {
                if (i >= s.Length || s[i] != '/')
                {
                    error = "Via sent-protocol is malformed";
                    return null;
                }

                i++;
            }
        }

        if (!parts[0].Equals("SIP", StringComparison.OrdinalIgnoreCase) || parts[1] != "2.0" || parts[2].Length == 0)
        {
            error = "Via sent-protocol is not SIP/2.0/<transport>";
            return null;
        }

        var rest = s[i..].TrimStart();
        var semicolon = NameAddress.IndexOfUnquoted(rest, ';');
        var sentBy = (semicolon < 0 ? rest : rest[..semicolon]).Trim();
        var paramText = semicolon < 0 ? string.Empty : rest[semicolon..];
        var probe = SipUri.Parse("sip:" + sentBy.Replace(" ", string.Empty, StringComparison.Ordinal), out _);
        if (sentBy.Length == 0 || probe is null || probe.User is not null || probe.Parameters.Count > 0)
        {
            error = "Via sent-by is malformed";
            return null;
        }

        var parameters = NameAddress.ParseParameters(paramText, out error);
        if (parameters is null)
        {
            return null;
        }

        return new ViaHeader { Transport = parts[2].ToUpperInvariant(), Host = probe.Host, Port = probe.Port, Parameters = parameters };
    }

    /// <summary>A copy with <c>received</c> and <c>rport</c> filled in as a server does (§18.2.1, RFC 3581 §4).</summary>
    public ViaHeader WithReceived(string sourceAddress, int sourcePort)
    {
        var parameters = new List<KeyValuePair<string, string?>>(Parameters.Count + 1);
        var addReceived = !string.Equals(Host, sourceAddress, StringComparison.OrdinalIgnoreCase) || RPort is not null;
        foreach (var p in Parameters)
        {
            if (string.Equals(p.Key, "received", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            if (string.Equals(p.Key, "rport", StringComparison.OrdinalIgnoreCase) && string.IsNullOrEmpty(p.Value))
            {
                parameters.Add(new("rport", sourcePort.ToString(CultureInfo.InvariantCulture)));
                continue;
            }

            parameters.Add(p);
        }

        if (addReceived)
        {
            parameters.Add(new("received", sourceAddress));
        }

        return new ViaHeader { Transport = Transport, Host = Host, Port = Port, Parameters = parameters };
    }

    public override string ToString()
    {
        var builder = new StringBuilder(96).Append("SIP/2.0/").Append(Transport).Append(' ').Append(SentBy);
        foreach (var (name, value) in Parameters)
        {
            builder.Append(';').Append(name);
            if (value is not null)
            {
                builder.Append('=').Append(value);
            }
        }

        return builder.ToString();
    }
}
