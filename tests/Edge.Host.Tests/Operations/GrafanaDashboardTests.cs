using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Calltracking.Edge.Testing;
using Calltracking.Shared.Metrics;

namespace Calltracking.Edge.Host.Tests.Operations;

/// <summary>
/// Every query of deploy/grafana/calltracking-edge.json goes through PromQL's own parser: each becomes a recording
/// rule of a throwaway rules file that <c>promtool check rules</c> must accept.
/// </summary>
public sealed class GrafanaDashboardTests
{
    private static readonly string DashboardPath = RepositoryFiles.PathOf("deploy/grafana/calltracking-edge.json");

    private static List<(string Panel, string Expr)> Queries()
    {
        using var document = JsonDocument.Parse(File.ReadAllText(DashboardPath));
        var queries = new List<(string, string)>();
        Collect(document.RootElement.GetProperty("panels"), queries);
        return queries;
    }

    private static void Collect(JsonElement panels, List<(string, string)> queries)
    {
        foreach (var panel in panels.EnumerateArray())
        {
            if (panel.TryGetProperty("panels", out var nested))
            {
                Collect(nested, queries);
            }

            if (!panel.TryGetProperty("targets", out var targets))
            {
                continue;
            }

            var title = panel.GetProperty("title").GetString()!;
            foreach (var target in targets.EnumerateArray())
            {
                queries.Add((title, target.GetProperty("expr").GetString()!));
            }
        }
    }

    /// <summary>Grafana fills these in before the query reaches Prometheus.</summary>
    private static string WithVariablesResolved(string expr) => expr
        .Replace("$__rate_interval", "1m", StringComparison.Ordinal)
        .Replace("$__interval", "15s", StringComparison.Ordinal)
        .Replace("$instance", ".*", StringComparison.Ordinal);

    internal static string RulesFileOf(IEnumerable<string> exprs)
    {
        var yaml = new StringBuilder("groups:\n  - name: dashboard\n    rules:\n");
        var options = new JsonSerializerOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
        var n = 0;
        foreach (var expr in exprs)
        {
            // A JSON string is a valid YAML double-quoted scalar.
            yaml.Append("      - record: dashboard:query_").Append(n++).Append("\n        expr: ").Append(JsonSerializer.Serialize(expr, options)).Append('\n');
        }

        return yaml.ToString();
    }

    private static string CheckRules(string yaml)
    {
        var file = Path.Combine(Path.GetTempPath(), $"edge-dashboard-{Guid.NewGuid():N}.yml");
        File.WriteAllText(file, yaml);
        try
        {
            return ExternalTool.Run(PrometheusRulesTests.Promtool(), ["check", "rules", file], TimeSpan.FromSeconds(60));
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void Every_dashboard_query_parses_as_promql()
    {
        var queries = Queries();
        Assert.True(queries.Count >= 40, $"only {queries.Count} queries found");
        var output = CheckRules(RulesFileOf(queries.Select(static q => WithVariablesResolved(q.Expr))));
        Assert.Contains($"SUCCESS: {queries.Count} rules found", output, StringComparison.Ordinal);
    }

    [Fact]
    public void A_broken_query_is_caught_by_the_same_check()
    {
        Assert.Throws<InvalidOperationException>(() => CheckRules(RulesFileOf(["sum(rate(edge_calls_total[1m])"])));
    }

    [Fact]
    public void Every_query_filters_by_the_instance_variable_and_every_panel_has_a_unique_id()
    {
        foreach (var (panel, expr) in Queries())
        {
            Assert.True(expr.Contains("instance=~\"$instance\"", StringComparison.Ordinal), $"panel '{panel}' ignores $instance: {expr}");
        }

        using var document = JsonDocument.Parse(File.ReadAllText(DashboardPath));
        var ids = document.RootElement.GetProperty("panels").EnumerateArray().Select(static p => p.GetProperty("id").GetInt32()).ToArray();
        Assert.Equal(ids.Length, ids.Distinct().Count());
        Assert.Equal("calltracking-edge", document.RootElement.GetProperty("uid").GetString());
    }

    [Fact]
    public void Every_metric_the_dashboard_uses_is_documented()
    {
        var documented = MetricCatalogue.Documented();
        var text = string.Join('\n', Queries().Select(static q => q.Expr));
        var missing = MetricCatalogue.MetricNames(text).Where(name => !MetricCatalogue.IsDocumented(name, documented)).ToArray();
        Assert.True(missing.Length == 0, "not in docs/operations.md: " + string.Join(", ", missing));
    }

    [Fact]
    public void Every_name_constant_is_in_the_documented_table()
    {
        var documented = MetricCatalogue.Documented();
        var names = typeof(EdgeMetricNames).GetFields()
            .Select(static f => (string)f.GetRawConstantValue()!)
            .Where(static v => v.StartsWith("edge_", StringComparison.Ordinal))
            .ToArray();
        Assert.True(names.Length >= 35, $"only {names.Length} names");
        Assert.All(names, name => Assert.Contains(name, documented));
    }
}
