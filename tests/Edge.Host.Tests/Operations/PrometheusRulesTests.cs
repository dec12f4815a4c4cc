using Calltracking.Edge.Testing;

namespace Calltracking.Edge.Host.Tests.Operations;

/// <summary>The shipped Prometheus config and alert rules, through Debian's promtool (package <c>prometheus</c>).</summary>
public sealed class PrometheusRulesTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    internal static string Promtool() => ExternalTool.Require("promtool", "prometheus", "/usr/bin/promtool");

    [Fact]
    public void Alert_rules_pass_promtool_check_rules()
    {
        var output = ExternalTool.Run(Promtool(), ["check", "rules", RepositoryFiles.PathOf("deploy/prometheus/rules/edge-alerts.yml")], Timeout);
        Assert.Contains("SUCCESS: 12 rules found", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Alert_rule_unit_tests_pass_promtool_test_rules()
    {
        var tests = Directory.GetFiles(RepositoryFiles.PathOf("deploy/prometheus/tests"), "*.test.yml");
        Assert.NotEmpty(tests);
        var output = ExternalTool.Run(Promtool(), ["test", "rules", .. tests], Timeout);
        Assert.Contains("SUCCESS", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_alert_has_a_firing_unit_test()
    {
        var rules = File.ReadAllText(RepositoryFiles.PathOf("deploy/prometheus/rules/edge-alerts.yml"));
        var tests = string.Concat(Directory.GetFiles(RepositoryFiles.PathOf("deploy/prometheus/tests"), "*.test.yml").Select(File.ReadAllText));
        var alerts = MetricCatalogue.AlertNames(rules);
        Assert.Equal(12, alerts.Count);
        foreach (var alert in alerts)
        {
            Assert.Contains($"alertname: {alert}\n        exp_alerts:\n          - exp_labels:", tests, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Scrape_config_passes_promtool_check_config()
    {
        var output = ExternalTool.Run(Promtool(), ["check", "config", RepositoryFiles.PathOf("deploy/prometheus/prometheus.yml")], Timeout);
        Assert.Contains("is valid prometheus config file syntax", output, StringComparison.Ordinal);
    }

    [Fact]
    public void A_broken_rule_file_is_refused_so_the_check_can_fail()
    {
        var file = Path.Combine(Path.GetTempPath(), $"edge-broken-{Guid.NewGuid():N}.yml");
        File.WriteAllText(file, "groups:\n  - name: broken\n    rules:\n      - alert: Broken\n        expr: sum(rate(edge_calls_total[5m]) > \n");
        try
        {
            Assert.Throws<InvalidOperationException>(() => ExternalTool.Run(Promtool(), ["check", "rules", file], Timeout));
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void Every_metric_the_rules_use_is_documented()
    {
        var rules = File.ReadAllText(RepositoryFiles.PathOf("deploy/prometheus/rules/edge-alerts.yml"));
        var documented = MetricCatalogue.Documented();
        var missing = MetricCatalogue.MetricNames(rules).Where(name => !MetricCatalogue.IsDocumented(name, documented)).ToArray();
        Assert.True(missing.Length == 0, "not in docs/operations.md: " + string.Join(", ", missing));
    }
}
