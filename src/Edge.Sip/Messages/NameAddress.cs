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

    public static NameAddress? Parse(string text, out string? error)
    {
        error = null;
        var s = text.Trim();
        if (s == "*")
        {
            return new NameAddress { Uri = new SipUri { Scheme = "*" }, IsWildcard = true };
        }

        string? display = null;
        string uriText;
        string paramText;
        var lt = IndexOfUnquoted(s, '<');
        if (lt >= 0)
        {
            var name = s[..lt].Trim();
            if (name.Length > 0)
            {
                if (name[0] == '"')
                {
                    if (!TryUnquote(name, out display))
                    {
                        error = "display name has an unterminated quoted string";
                        return null;
                    }
                }
                else
                {
                    display = name;
                }
            }

            var gt = s.IndexOf('>', lt);
            if (gt < 0)
            {
                error = "name-addr has '<' without '>'";
                return null;
            }

            uriText = s[(lt + 1)..gt];
            paramText = s[(gt + 1)..];
        }
        else
        {
            if (s.Length > 0 && s[0] == '"')
            {
                error = "display name without <URI>";
                return null;
            }

            var semicolon = s.IndexOf(';', StringComparison.Ordinal);
            uriText = semicolon < 0 ? s : s[..semicolon];
            paramText = semicolon < 0 ? string.Empty : s[semicolon..];
            if (uriText.Contains('?', StringComparison.Ordinal) || uriText.Contains(',', StringComparison.Ordinal))
            {
                error = "addr-spec with '?' or ',' must be enclosed in <>";
                return null;
            }
        }

        var uri = SipUri.Parse(uriText.Trim(), out error);
        if (uri is null)
        {
            return null;
        }

        var parameters = ParseParameters(paramText, out error);
        return parameters is null ? null : new NameAddress { DisplayName = display, Uri = uri, Parameters = parameters };
    }

    internal static List<KeyValuePair<string, string?>>? ParseParameters(string text, out string? error)
    {
        error = null;
        var result = new List<KeyValuePair<string, string?>>();
        var t = text.Trim();
        if (t.Length == 0)
        {
            return result;
        }

        if (t[0] != ';')
        {
            error = "unexpected text after the address";
            return null;
        }

        foreach (var part in SplitUnquoted(t[1..], ';'))
        {
            var p = part.Trim();
            if (p.Length == 0)
            {
                error = "empty header parameter";
                return null;
            }

            var eq = p.IndexOf('=', StringComparison.Ordinal);
            var name = (eq < 0 ? p : p[..eq]).Trim();
            var value = eq < 0 ? null : p[(eq + 1)..].Trim();
            if (name.Length == 0 || !IsToken(name) || (value is not null && value.Length == 0))
            {
                error = $"malformed header parameter '{p}'";
                return null;
            }

            if (value is not null && value[0] == '"')
            {
                if (!TryUnquote(value, out _))
                {
                    error = "unterminated quoted parameter value";
                    return null;
                }
            }

            result.Add(new(name, value));
        }

        return result;
    }

    internal static bool IsToken(string s)
    {
        foreach (var c in s)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || "-.!%*_+`'~".Contains(c, StringComparison.Ordinal)))
            {
                return false;
            }
        }

        return s.Length > 0;
    }

    internal static bool TryUnquote(string quoted, out string? value)
    {
        value = null;
        if (quoted.Length < 2 || quoted[0] != '"')
        {
            return false;
        }

        var builder = new StringBuilder(quoted.Length);
        for (var i = 1; i < quoted.Length; i++)
        {
            var c = quoted[i];
            if (c == '\\' && i + 1 < quoted.Length)
            {
                builder.Append(quoted[++i]);
            }
            else if (c == '"')
            {
                if (quoted[(i + 1)..].Trim().Length != 0)
                {
                    return false;
                }

                value = builder.ToString();
                return true;
            }
            else
            {
                builder.Append(c);
            }
        }

        return false;
    }

    internal static int IndexOfUnquoted(string s, char target)
    {
        var quoted = false;
        for (var i = 0; i < s.Length; i++)
        {
            if (quoted && s[i] == '\\')
            {
                i++;
            }
            else if (s[i] == '"')
            {
                quoted = !quoted;
            }
            else if (!quoted && s[i] == target)
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>Splits on a separator outside quoted strings and angle brackets (comma-separated header values, §7.3.1).</summary>
    internal static List<string> SplitUnquoted(string s, char separator)
    {
        var parts = new List<string>();
        var quoted = false;
        var angle = 0;
        var start = 0;
        for (var i = 0; i < s.Length; i++)
        {
            var c = s[i];
            if (quoted && c == '\\')
            {
                i++;
                continue;
            }

            if (c == '"')
            {
                quoted = !quoted;
            }
            else if (!quoted && c == '<')
            {
                angle++;
            }
            else if (!quoted && c == '>' && angle > 0)
            {
                angle--;
            }
            else if (!quoted && angle == 0 && c == separator)
            {
                parts.Add(s[start..i]);
                start = i + 1;
            }
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
