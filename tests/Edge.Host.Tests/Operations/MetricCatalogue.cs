using System.Text.RegularExpressions;

namespace Calltracking.Edge.Host.Tests.Operations;

/// <summary>The metric table of docs/operations.md, and the edge metric names that rules and dashboards use.</summary>
internal static partial class MetricCatalogue
{
    /// <summary>Names in the first column of the table rows of docs/operations.md: <c>| `edge_calls_total` | counter | ...</c>.</summary>
    public static HashSet<string> Documented()
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var line in File.ReadLines(RepositoryFiles.PathOf("docs/operations.md")))
        {
            var match = TableRow().Match(line);
            if (match.Success)
            {
                names.Add(match.Groups[1].Value);
            }
        }

        return names;
    }

    public static IReadOnlyCollection<string> MetricNames(string text) =>
        EdgeMetric().Matches(text).Select(static m => m.Value).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();

    public static IReadOnlyCollection<string> AlertNames(string rules) =>
        AlertLine().Matches(rules).Select(static m => m.Groups[1].Value).ToArray();

    /// <summary>A histogram is documented by its family name; its <c>_bucket</c>, <c>_sum</c> and <c>_count</c> series follow.</summary>
    public static bool IsDocumented(string name, HashSet<string> documented)
    {
        if (documented.Contains(name))
        {
            return true;
        }

        foreach (var suffix in new[] { "_bucket", "_sum", "_count" })
        {
            if (name.EndsWith(suffix, StringComparison.Ordinal) && documented.Contains(name[..^suffix.Length]))
            {
                return true;
            }
        }

        return false;
    }

    [GeneratedRegex(@"^\|\s*`((?:edge|process|dotnet)_[a-z0-9_]+)`\s*\|")]
    private static partial Regex TableRow();

    [GeneratedRegex(@"\bedge_[a-z0-9_]+\b")]
    private static partial Regex EdgeMetric();

    [GeneratedRegex(@"^\s*- alert: (\w+)\s*$", RegexOptions.Multiline)]
    private static partial Regex AlertLine();
}
