using System.Text.RegularExpressions;
using Calltracking.Shared.Metrics;

namespace Calltracking.Edge.Host.Tests.Operations;

/// <summary>
/// Every edge metric that the docs' table, the alert rules, the dashboard or the status page name is created somewhere
/// in src/ (by its literal name or its <see cref="EdgeMetricNames"/> constant): a documented series nothing emits is
/// an alert that can never fire. Runtime behaviour is checked by the integration tests (AlertMetricsTests).
/// </summary>
public sealed class EmittedMetricsTests
{
    [Fact]
    public void Every_metric_read_by_docs_rules_dashboard_or_status_page_is_created_in_the_code()
    {
        var code = string.Join('\n', Directory.EnumerateFiles(RepositoryFiles.PathOf("src"), "*.cs", SearchOption.AllDirectories)
            .Where(static f => !f.Contains("/obj/", StringComparison.Ordinal) && !f.EndsWith("EdgeMetricNames.cs", StringComparison.Ordinal))
            .Select(File.ReadAllText));
        var constants = typeof(EdgeMetricNames).GetFields()
            .Where(static f => f.IsLiteral && f.GetRawConstantValue() is string)
            .ToDictionary(static f => (string)f.GetRawConstantValue()!, static f => f.Name, StringComparer.Ordinal);
        var read = MetricCatalogue.Documented()
            .Concat(MetricCatalogue.MetricNames(File.ReadAllText(RepositoryFiles.PathOf("deploy/prometheus/rules/edge-alerts.yml"))))
            .Concat(Directory.EnumerateFiles(RepositoryFiles.PathOf("deploy/grafana"), "*.json").SelectMany(f => MetricNames(File.ReadAllText(f))))
            .Concat(MetricNames(File.ReadAllText(RepositoryFiles.PathOf("src/Edge.Host/Status/status.html"))))
            .Select(static n => Regex.Replace(n, "_(bucket|sum|count)$", string.Empty))
            .Where(static n => n.StartsWith("edge_", StringComparison.Ordinal))
            .Distinct(StringComparer.Ordinal)
            .ToArray();
        Assert.True(read.Length >= 40, $"only {read.Length} names read");

        // In a string literal (an instrument's name, or the collector's own series written as text), or by its constant.
        var missing = read.Where(name => !Regex.IsMatch(code, "\"[^\"\r\n]*\\b" + name + "\\b")
            && !(constants.TryGetValue(name, out var constant) && Regex.IsMatch(code, $@"\bEdgeMetricNames\.{constant}\b"))).ToArray();
        Assert.True(missing.Length == 0, "named but never created: " + string.Join(", ", missing));
    }

    private static IEnumerable<string> MetricNames(string text) => MetricCatalogue.MetricNames(text);
}
