using System.Globalization;
using System.Text;

namespace Calltracking.Edge.Sip.Messages;

/// <summary>
/// A <c>sip:</c>, <c>sips:</c> or <c>tel:</c> URI (RFC 3261 §19.1, RFC 3966). The user part is kept %-decoded;
/// parameters and headers keep their order and spelling so a URI written back is the URI received.
/// </summary>
public sealed class SipUri
{
    public required string Scheme { get; init; }

    /// <summary>The user part (%-decoded); for <c>tel:</c> the number.</summary>
    public string? User { get; init; }

    public string? Password { get; init; }

    /// <summary>Host name or IP literal; IPv6 without brackets. Empty for <c>tel:</c>.</summary>
    public string Host { get; init; } = string.Empty;

    public int? Port { get; init; }

    public IReadOnlyList<KeyValuePair<string, string?>> Parameters { get; init; } = [];

    public IReadOnlyList<KeyValuePair<string, string>> Headers { get; init; } = [];

    public bool IsSecure => Scheme == "sips";

    public bool IsTel => Scheme == "tel";

    public bool IsIPv6Host => Host.Contains(':', StringComparison.Ordinal);

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

    public bool HasParameter(string name) => Parameter(name) is not null;

    public string? Transport => Parameter("transport")?.ToLowerInvariant();

    /// <summary>Parses a URI; returns null with a reason when it is malformed.</summary>
    public static SipUri? Parse(string text, out string? error)
    {
        error = null;
        var colon = text.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0)
        {
            error = "URI has no scheme";
            return null;
        }

        var scheme = text[..colon].ToLowerInvariant();
        foreach (var c in scheme)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '+' or '-' or '.'))
            {
                error = "URI scheme is malformed";
                return null;
            }
        }

        var rest = text[(colon + 1)..];
        if (rest.Length == 0 || rest.Any(c => c is ' ' or '\t' or '\r' or '\n' or '<' or '>' or '"'))
        {
            error = "URI contains characters that must be escaped";
            return null;
        }

        return scheme switch
        {
            "sip" or "sips" => ParseSip(scheme, rest, out error),
            "tel" => ParseTel(rest, out error),
            _ => new SipUri { Scheme = scheme, Host = string.Empty, User = rest },
        };
    }

    private static SipUri? ParseSip(string scheme, string rest, out string? error)
    {
        error = null;
        string? user = null;
        string? password = null;
        // '@' cannot appear unescaped in parameters or headers (RFC 3261 §25.1), so the last one ends the user part,
        // which itself may hold ';' and '?'.
        var at = rest.LastIndexOf('@');
        var hostStart = 0;
        if (at >= 0)
        {
            var userInfo = rest[..at];
            var pw = userInfo.IndexOf(':', StringComparison.Ordinal);
            var rawUser = pw < 0 ? userInfo : userInfo[..pw];
            if (rawUser.Length == 0 || !TryUnescape(rawUser, out user) || (pw >= 0 && !TryUnescape(userInfo[(pw + 1)..], out password)))
            {
                error = "URI user part is malformed";
                return null;
            }

            hostStart = at + 1;
        }

        var hostEnd = rest.IndexOfAny([';', '?'], hostStart);
        var hostPort = hostEnd < 0 ? rest[hostStart..] : rest[hostStart..hostEnd];
        if (!TrySplitHostPort(hostPort, out var host, out var port))
        {
            error = "URI host or port is malformed";
            return null;
        }

        var parameters = new List<KeyValuePair<string, string?>>();
        var headers = new List<KeyValuePair<string, string>>();
        if (hostEnd >= 0)
        {
            var question = rest.IndexOf('?', hostEnd);
            var paramText = question < 0 ? rest[hostEnd..] : rest[hostEnd..question];
            foreach (var p in paramText.Split(';', StringSplitOptions.RemoveEmptyEntries))
            {
                var eq = p.IndexOf('=', StringComparison.Ordinal);
                var name = eq < 0 ? p : p[..eq];
                if (name.Length == 0 || !TryUnescape(name, out var decodedName) || (eq >= 0 && !TryUnescape(p[(eq + 1)..], out _)))
                {
                    error = "URI parameter is malformed";
                    return null;
                }

                parameters.Add(new(decodedName!, eq < 0 ? null : p[(eq + 1)..]));
            }

            if (question >= 0)
            {
                foreach (var h in rest[(question + 1)..].Split('&', StringSplitOptions.RemoveEmptyEntries))
                {
                    var eq = h.IndexOf('=', StringComparison.Ordinal);
                    if (eq <= 0)
                    {
                        error = "URI header is malformed";
                        return null;
                    }

                    headers.Add(new(h[..eq], h[(eq + 1)..]));
                }
            }
        }

        return new SipUri { Scheme = scheme, User = user, Password = password, Host = host, Port = port, Parameters = parameters, Headers = headers };
    }

    private static SipUri? ParseTel(string rest, out string? error)
    {
        error = null;
        var semicolon = rest.IndexOf(';', StringComparison.Ordinal);
        var number = semicolon < 0 ? rest : rest[..semicolon];
        if (number.Length == 0 || !TryUnescape(number, out var decoded))
        {
            error = "tel URI number is malformed";
            return null;
        }

        var parameters = new List<KeyValuePair<string, string?>>();
        if (semicolon >= 0)
        {
            foreach (var p in rest[(semicolon + 1)..].Split(';', StringSplitOptions.RemoveEmptyEntries))
            {
                var eq = p.IndexOf('=', StringComparison.Ordinal);
                parameters.Add(new(eq < 0 ? p : p[..eq], eq < 0 ? null : p[(eq + 1)..]));
            }
        }

        return new SipUri { Scheme = "tel", User = decoded, Parameters = parameters };
    }

    private static bool TrySplitHostPort(string text, out string host, out int? port)
    {
        host = string.Empty;
        port = null;
        string portText;
        if (text.StartsWith('['))
        {
            var close = text.IndexOf(']', StringComparison.Ordinal);
            if (close < 0 || !System.Net.IPAddress.TryParse(text[1..close], out var v6) || v6.AddressFamily != System.Net.Sockets.AddressFamily.InterNetworkV6)
            {
                return false;
            }

            host = text[1..close];
            portText = text[(close + 1)..];
            if (portText.Length > 0 && portText[0] != ':')
            {
                return false;
            }

            portText = portText.Length > 0 ? portText[1..] : string.Empty;
        }
        else
        {
            var colon = text.IndexOf(':', StringComparison.Ordinal);
            host = colon < 0 ? text : text[..colon];
            portText = colon < 0 ? string.Empty : text[(colon + 1)..];
            if (colon >= 0 && portText.Length == 0)
            {
                return false;
            }

            if (host.Length == 0 || host.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '.' or '-')) || host.StartsWith('.') || host.StartsWith('-'))
            {
                return false;
            }
        }

        if (portText.Length > 0)
        {
            if (!int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out var p) || p is < 1 or > 65535)
            {
                return false;
            }

            port = p;
        }

        return host.Length > 0;
    }

    /// <summary>%-decodes (RFC 3261 §19.1.2); false on a broken escape.</summary>
    public static bool TryUnescape(string text, out string? decoded)
    {
        decoded = text;
        if (!text.Contains('%', StringComparison.Ordinal))
        {
            return true;
        }

        var bytes = new List<byte>(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == '%')
            {
                if (i + 2 >= text.Length || !byte.TryParse(text.AsSpan(i + 1, 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var b))
                {
                    decoded = null;
                    return false;
                }

                bytes.Add(b);
                i += 2;
            }
            else
            {
                bytes.AddRange(Encoding.UTF8.GetBytes(text[i].ToString()));
            }
        }

        decoded = Encoding.UTF8.GetString([.. bytes]);
        return true;
    }

    private static string EscapeUser(string user)
    {
        var builder = new StringBuilder(user.Length);
        foreach (var b in Encoding.UTF8.GetBytes(user))
        {
            var c = (char)b;
            // RFC 3261 §25.1 user = 1*( unreserved / escaped / user-unreserved )
            if (char.IsAsciiLetterOrDigit(c) || "-_.!~*'()&=+$,;?/".Contains(c, StringComparison.Ordinal))
            {
                builder.Append(c);
            }
            else
            {
                builder.Append('%').Append(b.ToString("X2", CultureInfo.InvariantCulture));
            }
        }

        return builder.ToString();
    }

    public override string ToString()
    {
        var builder = new StringBuilder(64).Append(Scheme).Append(':');
        if (IsTel)
        {
            builder.Append(User);
        }
        else
        {
            if (User is not null)
            {
                builder.Append(EscapeUser(User));
                if (Password is not null)
                {
                    builder.Append(':').Append(EscapeUser(Password));
                }

                builder.Append('@');
            }

            builder.Append(IsIPv6Host ? $"[{Host}]" : Host);
            if (Port is { } port)
            {
                builder.Append(':').Append(port.ToString(CultureInfo.InvariantCulture));
            }
        }

        foreach (var (name, value) in Parameters)
        {
            builder.Append(';').Append(name);
            if (value is not null)
            {
                builder.Append('=').Append(value);
            }
        }

        for (var i = 0; i < Headers.Count; i++)
        {
            builder.Append(i == 0 ? '?' : '&').Append(Headers[i].Key).Append('=').Append(Headers[i].Value);
        }

        return builder.ToString();
    }

    /// <summary>A copy with another user/host/port and no headers (for Request-URIs built from targets).</summary>
    public SipUri With(string? user = null, string? host = null, int? port = null, bool clearPort = false) => new()
    {
        Scheme = Scheme,
        User = user ?? User,
        Password = Password,
        Host = host ?? Host,
        Port = clearPort ? null : port ?? Port,
        Parameters = Parameters,
        Headers = [],
    };
}
