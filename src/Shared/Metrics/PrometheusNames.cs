using System.Text;

namespace Calltracking.Shared.Metrics;

/// <summary>
/// Names and escaping of the text exposition format 0.0.4: metric names match <c>[a-zA-Z_:][a-zA-Z0-9_:]*</c>,
/// label names <c>[a-zA-Z_][a-zA-Z0-9_]*</c>; label values escape <c>\</c>, <c>"</c> and line feed; HELP escapes <c>\</c> and line feed.
/// </summary>
internal static class PrometheusNames
{
    /// <summary>Maps an instrument name (dots allowed, as in <c>edge.sip.messages</c>) to a metric name.</summary>
    public static string MetricName(string instrumentName) => Sanitize(instrumentName, allowColon: true);

    public static string LabelName(string tagName) => Sanitize(tagName, allowColon: false);

    /// <summary>Counters are exposed with the <c>_total</c> suffix (OpenMetrics and promtool's lint expect it).</summary>
    public static string CounterName(string metricName) =>
        metricName.EndsWith("_total", StringComparison.Ordinal) ? metricName : metricName + "_total";

    public static string EscapeLabelValue(string value)
    {
        if (value.AsSpan().IndexOfAny('\\', '"', '\n') < 0)
        {
            return value;
        }

        var builder = new StringBuilder(value.Length + 8);
        foreach (var c in value)
        {
            _ = c switch
            {
                '\\' => builder.Append("\\\\"),
                '"' => builder.Append("\\\""),
                '\n' => builder.Append("\\n"),
                _ => builder.Append(c),
            };
        }

        return builder.ToString();
    }

    public static string EscapeHelp(string help)
    {
        if (help.AsSpan().IndexOfAny('\\', '\n') < 0)
        {
            return help;
        }

        return help.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);
    }

    private static string Sanitize(string name, bool allowColon)
    {
        if (string.IsNullOrEmpty(name))
        {
            return "_";
        }

        var chars = name.ToCharArray();
        for (var i = 0; i < chars.Length; i++)
        {
            var c = chars[i];
            if (!(char.IsAsciiLetterOrDigit(c) || c == '_' || (allowColon && c == ':')))
            {
                chars[i] = '_';
            }
        }

        // A name may not start with a digit; prefixing keeps the digit (2xx stays readable as _2xx).
        return char.IsAsciiDigit(chars[0]) ? "_" + new string(chars) : new string(chars);
    }
}
