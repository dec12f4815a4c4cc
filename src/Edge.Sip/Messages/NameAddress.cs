using System.Buffers;
using System.Text;

namespace Calltracking.Edge.Sip.Messages;

/// <summary>
/// <c>name-addr / addr-spec</c> with header parameters: the value of From, To, Contact, Route, Record-Route,
/// P-Asserted-Identity (RFC 3261 §20.10, §25.1). Without angle brackets, parameters after the URI belong to the
/// header (e.g. <c>;tag=</c>), not to the URI.
/// </summary>
public sealed class NameAddress
{
    public string? DisplayName { get; init; }

    public required SipUri Uri { get; init; }

    public IReadOnlyList<KeyValuePair<string, string?>> Parameters { get; init; } = [];

    /// <summary>True for <c>Contact: *</c>.</summary>
    public bool IsWildcard { get; init; }

    public string? Tag => Parameter("tag");

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

    public static NameAddress? Parse(string text, out string? error) => Parse(text.AsSpan(), out error);

    /// <summary>Parses on the span; strings are made for the display name, the URI's parts and the parameters only.</summary>
    internal static NameAddress? Parse(ReadOnlySpan<char> text, out string? error) => TryParse(text, build: true, out var address, out error) ? address : null;

    /// <summary>Every check <see cref="Parse(string, out string?)"/> makes, without making anything.</summary>
    internal static bool Check(ReadOnlySpan<char> text, out string? error) => TryParse(text, build: false, out _, out error);

    private static bool TryParse(ReadOnlySpan<char> text, bool build, out NameAddress? address, out string? error)
    {
        address = null;
        error = null;
        var s = text.Trim();
        if (s is "*")
        {
            address = build ? new NameAddress { Uri = new SipUri { Scheme = "*" }, IsWildcard = true } : null;
            return true;
        }

        string? display = null;
        ReadOnlySpan<char> uriText;
        ReadOnlySpan<char> paramText;
        var lt = IndexOfUnquoted(s, '<');
        if (lt >= 0)
        {
            var name = s[..lt].Trim();
            if (name.Length > 0)
            {
                if (name[0] == '"')
                {
                    if (!TryUnquote(name, build, out display))
                    {
                        error = "display name has an unterminated quoted string";
                        return false;
                    }
                }
                else if (build)
                {
                    display = name.ToString();
                }
            }

            var gt = s[lt..].IndexOf('>');
            if (gt < 0)
            {
                error = "name-addr has '<' without '>'";
                return false;
            }

            gt += lt;
            uriText = s[(lt + 1)..gt];
            paramText = s[(gt + 1)..];
        }
        else
        {
            if (s.Length > 0 && s[0] == '"')
            {
                error = "display name without <URI>";
                return false;
            }

            var semicolon = s.IndexOf(';');
            uriText = semicolon < 0 ? s : s[..semicolon];
            paramText = semicolon < 0 ? default : s[semicolon..];
            if (uriText.IndexOfAny('?', ',') >= 0)
            {
                error = "addr-spec with '?' or ',' must be enclosed in <>";
                return false;
            }
        }

        SipUri? uri = null;
        if (build ? (uri = SipUri.Parse(uriText.Trim(), out error)) is null : !SipUri.Check(uriText.Trim(), out error))
        {
            return false;
        }

        if (!TryParseParameters(paramText, build, out var parameters, out error))
        {
            return false;
        }

        address = build ? new NameAddress { DisplayName = display, Uri = uri!, Parameters = parameters } : null;
        return true;
    }

    /// <summary>
    /// <c>*( SEMI generic-param )</c> (§25.1), split outside quoted strings. Without <paramref name="build"/> the
    /// parameters are only checked and <paramref name="parameters"/> is empty.
    /// </summary>
    internal static bool TryParseParameters(ReadOnlySpan<char> text, bool build, out IReadOnlyList<KeyValuePair<string, string?>> parameters, out string? error)
    {
        parameters = [];
        error = null;
        var t = text.Trim();
        if (t.Length == 0)
        {
            return true;
        }

        if (t[0] != ';')
        {
            error = "unexpected text after the address";
            return false;
        }

        t = t[1..];
        var result = build ? new List<KeyValuePair<string, string?>>(4) : null;
        while (true)
        {
            var next = IndexOfUnquotedSeparator(t, ';');
            var p = (next < 0 ? t : t[..next]).Trim();
            if (p.Length == 0)
            {
                error = "empty header parameter";
                return false;
            }

            var eq = p.IndexOf('=');
            var name = (eq < 0 ? p : p[..eq]).Trim();
            var value = eq < 0 ? default : p[(eq + 1)..].Trim();
            if (name.Length == 0 || !IsToken(name) || (eq >= 0 && value.Length == 0))
            {
                error = $"malformed header parameter '{p}'";
                return false;
            }

            if (eq >= 0 && value[0] == '"' && !TryUnquote(value, build: false, out _))
            {
                error = "unterminated quoted parameter value";
                return false;
            }

            result?.Add(new(KnownParameter(name) ?? name.ToString(), eq < 0 ? null : value.ToString()));
            if (next < 0)
            {
                parameters = result ?? parameters;
                return true;
            }

            t = t[(next + 1)..];
        }
    }

    /// <summary>The parameter names every message carries, so their strings are not made per message.</summary>
    private static string? KnownParameter(ReadOnlySpan<char> name) => name switch
    {
        "tag" => "tag",
        "branch" => "branch",
        "rport" => "rport",
        "received" => "received",
        "lr" => "lr",
        "transport" => "transport",
        "user" => "user",
        "expires" => "expires",
        "q" => "q",
        _ => null,
    };

    internal static bool IsToken(string s) => IsToken(s.AsSpan());

    internal static bool IsToken(ReadOnlySpan<char> s) => s.Length > 0 && !s.ContainsAnyExcept(TokenCharacters);

    private static readonly SearchValues<char> TokenCharacters =
        SearchValues.Create("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.!%*_+`'~");

    internal static bool TryUnquote(string quoted, out string? value) => TryUnquote(quoted.AsSpan(), build: true, out value);

    /// <summary>
    /// A quoted-string (§25.1) with its backslash escapes resolved; false when unterminated or followed by text.
    /// Without <paramref name="build"/> it is only checked and <paramref name="value"/> stays null.
    /// </summary>
    internal static bool TryUnquote(ReadOnlySpan<char> quoted, bool build, out string? value)
    {
        value = null;
        if (quoted.Length < 2 || quoted[0] != '"')
        {
            return false;
        }

        StringBuilder? builder = null;
        var runStart = 1;
        for (var i = 1; i < quoted.Length; i++)
        {
            var c = quoted[i];
            if (c == '\\' && i + 1 < quoted.Length)
            {
                if (build)
                {
                    builder ??= new StringBuilder(quoted.Length);
                    builder.Append(quoted[runStart..i]).Append(quoted[i + 1]);
                }

                i++;
                runStart = i + 1;
            }
            else if (c == '"')
            {
                if (!quoted[(i + 1)..].Trim().IsEmpty)
                {
                    return false;
                }

                if (build)
                {
                    value = builder is null ? quoted[1..i].ToString() : builder.Append(quoted[runStart..i]).ToString();
                }

                return true;
            }
        }

        return false;
    }

    internal static int IndexOfUnquoted(ReadOnlySpan<char> s, char target)
    {
        // Jump with a vectorised search to the next quote or target; only a quoted string is walked char by char.
        var i = 0;
        while (i < s.Length)
        {
            var next = s[i..].IndexOfAny('"', target);
            if (next < 0)
            {
                return -1;
            }

            i += next;
            if (s[i] == target)
            {
                return i;
            }

            i = EndOfQuoted(s, i) + 1;
        }

        return -1;
    }

    /// <summary>The index of the quote closing the quoted string opened at <paramref name="open"/> (backslash escapes skipped); the end when unterminated.</summary>
    private static int EndOfQuoted(ReadOnlySpan<char> s, int open)
    {
        var i = open + 1;
        while (i < s.Length)
        {
            var next = s[i..].IndexOfAny('"', '\\');
            if (next < 0)
            {
                return s.Length;
            }

            i += next;
            if (s[i] == '"')
            {
                return i;
            }

            i += 2;
        }

        return s.Length;
    }

    /// <summary>The first <paramref name="separator"/> outside quoted strings and angle brackets, as <see cref="SplitUnquoted"/> splits.</summary>
    internal static int IndexOfUnquotedSeparator(ReadOnlySpan<char> s, char separator)
    {
        if (separator is not (',' or ';'))
        {
            throw new ArgumentOutOfRangeException(nameof(separator), separator, "Only ',' and ';' separate header values and parameters.");
        }

        var angle = 0;
        var i = 0;
        while (i < s.Length)
        {
            var next = s[i..].IndexOfAny(Delimiters);
            if (next < 0)
            {
                return -1;
            }

            i += next;
            var c = s[i];
            if (c == '"')
            {
                i = EndOfQuoted(s, i) + 1;
                continue;
            }

            if (c == '<')
            {
                angle++;
            }
            else if (c == '>')
            {
                angle = Math.Max(0, angle - 1);
            }
            else if (c == separator && angle == 0)
            {
                return i;
            }

            i++;
        }

        return -1;
    }

    /// <summary>Every char that can change the state of <see cref="IndexOfUnquotedSeparator"/>: the separators it is used with, quotes and angle brackets.</summary>
    private static readonly SearchValues<char> Delimiters = SearchValues.Create("\"<>,;");

    /// <summary>Splits on a separator outside quoted strings and angle brackets (comma-separated header values, §7.3.1).</summary>
    internal static List<string> SplitUnquoted(string s, char separator)
    {
        var parts = new List<string>();
        var start = 0;
        int next;
        while ((next = IndexOfUnquotedSeparator(s.AsSpan(start), separator)) >= 0)
        {
            parts.Add(s.Substring(start, next));
            start += next + 1;
        }

        parts.Add(s[start..]);
        return parts;
    }

    public override string ToString()
    {
        if (IsWildcard)
        {
            return "*";
        }

        var builder = new StringBuilder(96);
        if (DisplayName is not null)
        {
            builder.Append('"').Append(DisplayName.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal)).Append("\" ");
        }

        builder.Append('<').Append(Uri).Append('>');
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

    public NameAddress WithTag(string tag)
    {
        var parameters = Parameters.Where(p => !string.Equals(p.Key, "tag", StringComparison.OrdinalIgnoreCase)).ToList();
        parameters.Add(new("tag", tag));
        return new NameAddress { DisplayName = DisplayName, Uri = Uri, Parameters = parameters };
    }
}
