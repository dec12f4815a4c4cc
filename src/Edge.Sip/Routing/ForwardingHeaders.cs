using System.Text;
using Calltracking.Shared.Routing;

namespace Calltracking.Edge.Sip.Routing;

/// <summary>
/// The headers the forwarded INVITE carries: <c>x-roistat-phone</c>, <c>x-roistat-marker</c>, <c>x-roistat</c> and the
/// project's custom headers with <c>{placeholders}</c> filled from the visit. Values are sanitised so that nothing a
/// visitor controls (a UTM field, a referrer) can inject a line into the SIP message.
/// </summary>
public static class ForwardingHeaders
{
    /// <summary>The maximum length of one forwarded header value; longer visit data is cut.</summary>
    public const int MaxValueLength = 512;

    public static IReadOnlyList<KeyValuePair<string, string>> Build(RouteDecision route)
    {
        var attribution = route.Attribution;
        var headers = new List<KeyValuePair<string, string>>(3 + route.Settings.CustomHeaders.Count)
        {
            new("x-roistat-phone", Sanitize(route.DialedNumber)),
            new("x-roistat-marker", Sanitize(attribution.Marker ?? route.StaticSource ?? string.Empty)),
            new("x-roistat", Sanitize(route.StaticSource ?? attribution.VisitId ?? string.Empty)),
        };

        foreach (var (name, template) in route.Settings.CustomHeaders)
        {
            if (IsToken(name))
            {
                headers.Add(new(name, Sanitize(Fill(template, route))));
            }
        }

        return headers;
    }

    /// <summary>Fills <c>{name}</c> placeholders from the visit's fields; unknown names become empty. <c>{{</c> is a literal brace.</summary>
    public static string Fill(string template, RouteDecision route)
    {
        if (!template.Contains('{', StringComparison.Ordinal))
        {
            return template;
        }

        var result = new StringBuilder(template.Length + 32);
        for (var i = 0; i < template.Length; i++)
        {
            var c = template[i];
            if (c == '{' && i + 1 < template.Length && template[i + 1] == '{')
            {
                result.Append('{');
                i++;
                continue;
            }

            var close = c == '{' ? template.IndexOf('}', i + 1) : -1;
            if (close < 0)
            {
                result.Append(c);
                continue;
            }

            result.Append(Lookup(template.AsSpan(i + 1, close - i - 1).Trim().ToString(), route));
            i = close;
        }

        return result.ToString();
    }

    private static string Lookup(string name, RouteDecision route) => name switch
    {
        "phone" or "dialed" => route.DialedNumber,
        "caller" => route.Caller ?? string.Empty,
        "visit" or "visit_id" => route.Attribution.VisitId ?? string.Empty,
        "marker" => route.Attribution.Marker ?? string.Empty,
        "project" => route.ProjectId.ToString(System.Globalization.CultureInfo.InvariantCulture),
        "script" or "script_id" => route.ScriptId.ToString(System.Globalization.CultureInfo.InvariantCulture),
        _ => route.Attribution.Fields.TryGetValue(name, out var value) ? value : string.Empty,
    };

    /// <summary>
    /// Makes a value safe for a SIP header line: control characters (CR, LF, NUL, …) become spaces, runs of
    /// whitespace collapse, the value is trimmed and cut to <see cref="MaxValueLength"/> characters.
    /// </summary>
    public static string Sanitize(string value)
    {
        if (value.Length == 0)
        {
            return value;
        }

        var builder = new StringBuilder(Math.Min(value.Length, MaxValueLength));
        var lastWasSpace = true;
        foreach (var c in value)
        {
            var isSpace = char.IsControl(c) || char.IsWhiteSpace(c);
            if (isSpace)
            {
                if (!lastWasSpace)
                {
                    builder.Append(' ');
                }
            }
            else
            {
                builder.Append(c);
            }

            lastWasSpace = isSpace;
            if (builder.Length >= MaxValueLength)
            {
                break;
            }
        }

        return builder.ToString().TrimEnd();
    }

    /// <summary>RFC 3261 §25.1 <c>token</c>: the only characters allowed in a header name.</summary>
    public static bool IsToken(string name)
    {
        if (name.Length == 0)
        {
            return false;
        }

        foreach (var c in name)
        {
            var ok = c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or (>= '0' and <= '9')
                || c is '-' or '.' or '!' or '%' or '*' or '_' or '+' or '`' or '\'' or '~';
            if (!ok)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// Parses the settings form <c>name=template, name2=template2</c>. A bad name is an error naming it, so the
    /// API refuses the setting instead of the edge silently dropping the header at call time.
    /// </summary>
    public static IReadOnlyList<KeyValuePair<string, string>> ParseSetting(string text)
    {
        var result = new List<KeyValuePair<string, string>>();
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var eq = part.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                throw new FormatException($"custom header '{part}' must be written as name=value");
            }

            var name = part[..eq].Trim();
            if (!IsToken(name))
            {
                throw new FormatException($"custom header name '{name}' is not a valid SIP header name");
            }

            if (name.StartsWith("x-roistat", StringComparison.OrdinalIgnoreCase) || IsReserved(name))
            {
                throw new FormatException($"custom header name '{name}' is reserved by the edge");
            }

            result.Add(new(name, part[(eq + 1)..].Trim()));
        }

        return result;
    }

    private static bool IsReserved(string name) =>
        name.ToLowerInvariant() is "via" or "v" or "from" or "f" or "to" or "t" or "call-id" or "i" or "cseq" or "contact" or "m"
            or "content-length" or "l" or "content-type" or "c" or "max-forwards" or "route" or "record-route" or "p-asserted-identity";
}
