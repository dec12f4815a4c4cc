using System.Buffers;
using System.Globalization;
using System.Text;

namespace Calltracking.Edge.Sip.Messages;

/// <summary>
/// A <c>sip:</c>, <c>sips:</c> or <c>tel:</c> URI (RFC 3261 §19.1, RFC 3966). The user part is kept %-decoded;
/// parameters and headers keep their order and spelling so a URI written back is the URI received.
/// </summary>
public sealed class SipUri
{
    // Immutable once built (init-only, no with-copies): the text is made once, on first use.
    private string? text;
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
    public static SipUri? Parse(string text, out string? error) => Parse(text.AsSpan(), out error);

    internal static SipUri? Parse(ReadOnlySpan<char> text, out string? error) => TryParse(text, build: true, out var uri, out error) ? uri : null;

    /// <summary>Every check <see cref="Parse(string, out string?)"/> makes, without making anything (the parser's validation).</summary>
    internal static bool Check(ReadOnlySpan<char> text, out string? error) => TryParse(text, build: false, out _, out error);

    /// <summary>RFC 3986 §3.1: scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ).</summary>
    internal static bool IsWellFormedScheme(ReadOnlySpan<char> scheme)
    {
        foreach (var c in scheme)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '+' or '-' or '.'))
            {
                return false;
            }
        }

        return scheme.Length > 0 && char.IsAsciiLetter(scheme[0]);
    }

    /// <summary>
    /// Parses on the span. With <paramref name="build"/> it makes strings only for the parts kept (user, host,
    /// parameters); without, it makes nothing and only says whether the URI is well formed, so a parser can validate
    /// every URI of a message and build the ones the edge reads later, on first use.
    /// </summary>
    private static bool TryParse(ReadOnlySpan<char> text, bool build, out SipUri? uri, out string? error)
    {
        uri = null;
        error = null;
        var colon = text.IndexOf(':');
        if (colon <= 0)
        {
            error = "URI has no scheme";
            return false;
        }

        // RFC 3986 §3.1: scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )
        var schemeText = text[..colon];
        if (!IsWellFormedScheme(schemeText))
        {
            error = "URI scheme is malformed";
            return false;
        }

        var rest = text[(colon + 1)..];
        if (rest.Length == 0 || rest.IndexOfAny(MustBeEscaped) >= 0)
        {
            error = "URI contains characters that must be escaped";
            return false;
        }

        if (schemeText.Equals("sip", StringComparison.OrdinalIgnoreCase) || schemeText.Equals("sips", StringComparison.OrdinalIgnoreCase))
        {
            return TryParseSip(schemeText.Length == 3 ? "sip" : "sips", rest, build, out uri, out error);
        }

        if (schemeText.Equals("tel", StringComparison.OrdinalIgnoreCase))
        {
            return TryParseTel(rest, build, out uri, out error);
        }

        if (build)
        {
            uri = new SipUri { Scheme = schemeText.ToString().ToLowerInvariant(), Host = string.Empty, User = rest.ToString() };
        }

        return true;
    }

    private static readonly SearchValues<char> MustBeEscaped = SearchValues.Create(" \t\r\n<>\"");

    private static bool TryParseSip(string scheme, ReadOnlySpan<char> rest, bool build, out SipUri? uri, out string? error)
    {
        uri = null;
        error = null;
        // Most URIs carry no escape at all: then checking one, part by part, has nothing to find.
        var escaped = rest.Contains('%');
        string? user = null;
        string? password = null;
        // '@' cannot appear unescaped in parameters or headers (RFC 3261 §25.1), so the last one ends the user part,
        // which itself may hold ';' and '?'.
        var at = rest.LastIndexOf('@');
        if (at >= 0)
        {
            var userInfo = rest[..at];
            var pw = userInfo.IndexOf(':');
            var rawUser = pw < 0 ? userInfo : userInfo[..pw];
            if (rawUser.Length == 0 || ((build || escaped) && !TryUnescape(rawUser, build, out user))
                || (pw >= 0 && (build || escaped) && !TryUnescape(userInfo[(pw + 1)..], build, out password)))
            {
                error = "URI user part is malformed";
                return false;
            }

            rest = rest[(at + 1)..];
        }

        var hostEnd = rest.IndexOfAny(';', '?');
        if (!TrySplitHostPort(hostEnd < 0 ? rest : rest[..hostEnd], build, out var host, out var port))
        {
            error = "URI host or port is malformed";
            return false;
        }

        IReadOnlyList<KeyValuePair<string, string?>> parameters = [];
        IReadOnlyList<KeyValuePair<string, string>> headers = [];
        if (hostEnd >= 0)
        {
            var tail = rest[hostEnd..];
            var question = tail.IndexOf('?');
            var paramText = question < 0 ? tail : tail[..question];
            List<KeyValuePair<string, string?>>? list = null;
            while (paramText.Length > 0)
            {
                var semicolon = paramText.IndexOf(';');
                var p = semicolon < 0 ? paramText : paramText[..semicolon];
                paramText = semicolon < 0 ? default : paramText[(semicolon + 1)..];
                if (p.Length == 0)
                {
                    continue;
                }

                var eq = p.IndexOf('=');
                var name = eq < 0 ? p : p[..eq];
                string? decodedName = null;
                if (name.Length == 0 || ((build || escaped) && !TryUnescape(name, build, out decodedName)) || (escaped && eq >= 0 && !IsWellEscaped(p[(eq + 1)..])))
                {
                    error = "URI parameter is malformed";
                    return false;
                }

                if (build)
                {
                    (list ??= new List<KeyValuePair<string, string?>>(4)).Add(new(decodedName!, eq < 0 ? null : p[(eq + 1)..].ToString()));
                }
            }

            if (list is not null)
            {
                parameters = list;
            }

            if (question >= 0)
            {
                var headerText = tail[(question + 1)..];
                var headerList = build ? new List<KeyValuePair<string, string>>(2) : null;
                while (headerText.Length > 0)
                {
                    var amp = headerText.IndexOf('&');
                    var h = amp < 0 ? headerText : headerText[..amp];
                    headerText = amp < 0 ? default : headerText[(amp + 1)..];
                    if (h.Length == 0)
                    {
                        continue;
                    }

                    var eq = h.IndexOf('=');
                    if (eq <= 0)
                    {
                        error = "URI header is malformed";
                        return false;
                    }

                    headerList?.Add(new(h[..eq].ToString(), h[(eq + 1)..].ToString()));
                }

                headers = headerList ?? headers;
            }
        }

        if (build)
        {
            uri = new SipUri { Scheme = scheme, User = user, Password = password, Host = host, Port = port, Parameters = parameters, Headers = headers };
        }

        return true;
    }

    private static bool TryParseTel(ReadOnlySpan<char> rest, bool build, out SipUri? uri, out string? error)
    {
        uri = null;
        error = null;
        var semicolon = rest.IndexOf(';');
        var number = semicolon < 0 ? rest : rest[..semicolon];
        if (number.Length == 0 || !TryUnescape(number, build, out var decoded))
        {
            error = "tel URI number is malformed";
            return false;
        }

        if (!build)
        {
            return true;
        }

        var parameters = new List<KeyValuePair<string, string?>>();
        var paramText = semicolon < 0 ? default : rest[(semicolon + 1)..];
        while (paramText.Length > 0)
        {
            var next = paramText.IndexOf(';');
            var p = next < 0 ? paramText : paramText[..next];
            paramText = next < 0 ? default : paramText[(next + 1)..];
            if (p.Length == 0)
            {
                continue;
            }

            var eq = p.IndexOf('=');
            parameters.Add(new(eq < 0 ? p.ToString() : p[..eq].ToString(), eq < 0 ? null : p[(eq + 1)..].ToString()));
        }

        uri = new SipUri { Scheme = "tel", User = decoded, Parameters = parameters };
        return true;
    }

    /// <summary><c>host [":" port]</c> with an IPv6 reference in brackets (§25.1); the host is returned without brackets.</summary>
    internal static bool TrySplitHostPort(ReadOnlySpan<char> text, out string host, out int? port) => TrySplitHostPort(text, build: true, out host, out port);

    /// <summary>As <see cref="TrySplitHostPort(ReadOnlySpan{char}, out string, out int?)"/>; without <paramref name="build"/> the host string is not made (left empty).</summary>
    internal static bool TrySplitHostPort(ReadOnlySpan<char> text, bool build, out string host, out int? port)
    {
        host = string.Empty;
        port = null;
        ReadOnlySpan<char> hostText;
        ReadOnlySpan<char> portText;
        if (text.StartsWith('['))
        {
            var close = text.IndexOf(']');
            if (close < 0 || !System.Net.IPAddress.TryParse(text[1..close], out var v6) || v6.AddressFamily != System.Net.Sockets.AddressFamily.InterNetworkV6)
            {
                return false;
            }

            hostText = text[1..close];
            portText = text[(close + 1)..];
            if (portText.Length > 0 && portText[0] != ':')
            {
                return false;
            }

            portText = portText.Length > 0 ? portText[1..] : default;
        }
        else
        {
            var colon = text.IndexOf(':');
            hostText = colon < 0 ? text : text[..colon];
            portText = colon < 0 ? default : text[(colon + 1)..];
            if (colon >= 0 && portText.Length == 0)
            {
                return false;
            }

            if (hostText.Length == 0 || hostText.ContainsAnyExcept(HostCharacters) || hostText[0] is '.' or '-')
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

        if (hostText.IsEmpty)
        {
            return false;
        }

        host = build ? hostText.ToString() : string.Empty;
        return true;
    }

    private static readonly SearchValues<char> HostCharacters = SearchValues.Create("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-");

    /// <summary>%-decodes (RFC 3261 §19.1.2); false on a broken escape.</summary>
    public static bool TryUnescape(string text, out string? decoded)
    {
        if (!text.Contains('%', StringComparison.Ordinal))
        {
            decoded = text;
            return true;
        }

        return TryUnescape(text.AsSpan(), out decoded);
    }

    /// <summary>%-decodes (RFC 3261 §19.1.2) into a new string; false on a broken escape.</summary>
    internal static bool TryUnescape(ReadOnlySpan<char> text, out string? decoded) => TryUnescape(text, build: true, out decoded);

    /// <summary>As <see cref="TryUnescape(ReadOnlySpan{char}, out string?)"/>; without <paramref name="build"/> only the escapes are checked.</summary>
    private static bool TryUnescape(ReadOnlySpan<char> text, bool build, out string? decoded)
    {
        decoded = null;
        if (!build)
        {
            return IsWellEscaped(text);
        }

        var percent = text.IndexOf('%');
        if (percent < 0)
        {
            decoded = text.ToString();
            return true;
        }

        var rented = ArrayPool<byte>.Shared.Rent(Encoding.UTF8.GetMaxByteCount(text.Length));
        try
        {
            var length = 0;
            while (text.Length > 0)
            {
                percent = text.IndexOf('%');
                var run = percent < 0 ? text : text[..percent];
                length += Encoding.UTF8.GetBytes(run, rented.AsSpan(length));
                if (percent < 0)
                {
                    break;
                }

                if (percent + 2 >= text.Length
                    || !byte.TryParse(text.Slice(percent + 1, 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var b))
                {
                    return false;
                }

                rented[length++] = b;
                text = text[(percent + 3)..];
            }

            decoded = Encoding.UTF8.GetString(rented, 0, length);
            return true;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>Every '%' is followed by two hex digits.</summary>
    private static bool IsWellEscaped(ReadOnlySpan<char> text)
    {
        for (var percent = text.IndexOf('%'); percent >= 0; percent = text.IndexOf('%'))
        {
            if (percent + 2 >= text.Length || !char.IsAsciiHexDigit(text[percent + 1]) || !char.IsAsciiHexDigit(text[percent + 2]))
            {
                return false;
            }

            text = text[(percent + 3)..];
        }

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

    public override string ToString() => text ??= Format();

    private string Format()
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
