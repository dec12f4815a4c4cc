using System.Globalization;
using System.Text.RegularExpressions;
using Calltracking.Edge.IntegrationTests.Routing;
using Calltracking.Edge.NumberPool.Leases;
using Calltracking.Edge.Recording.Webhooks;
using Calltracking.Edge.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Calltracking.Edge.IntegrationTests.Status;

/// <summary>
/// The series the alert rules, the dashboard and the status page read (deploy/prometheus/rules, src/Edge.Host/Status) are emitted by
/// the edge itself, with the values the work done implies.
/// </summary>
public sealed class AlertMetricsTests(EdgeStoresFixture stores) : IClassFixture<EdgeStoresFixture>
{
    [Fact]
    public async Task Number_requests_show_in_the_redis_pool_spool_and_webhook_series()
    {
        using var edge = await RoutingEdge.StartAsync(stores, "127.0.0.1/32", null);
        var numbers = new[] { "74996000001", "74996000002", "74996000003" };
        var script = (await edge.ApiAsync("project/calltracking/script/create", "{\"name\": \"metrics\", \"replaceable_numbers\": [\"" + string.Join("\", \"", numbers) + "\"]}"))
            .GetProperty("data").GetProperty("id").GetInt64().ToString(CultureInfo.InvariantCulture);
        var visit = (await edge.SiteAsync("/site/visit", """{"marker": "direct"}""")).GetProperty("visit_id").GetString()!;
        Assert.Contains((await edge.SiteAsync("/site/number", "{\"visit_id\": " + visit + "}")).GetProperty("phone").GetString(), numbers);
        await edge.SiteAsync("/site/heartbeat", "{\"visit_id\": " + visit + "}");

        // The gauges read from the stores load when a scrape finds them stale; load them now rather than wait a scrape.
        await edge.App.Services.GetRequiredService<PoolGauges>().ReadNowAsync();
        await edge.App.Services.GetRequiredService<WebhookDispatcher>().ReadOutboxNowAsync();
        await edge.App.Services.GetRequiredService<Calltracking.Edge.Host.Registrations.RegistrationGauges>().ReadNowAsync();
        var metrics = await edge.Http.GetStringAsync("/metrics");

        Assert.True(Sample(metrics, "edge_redis_operations_total", ("operation", "lease"), ("result", "ok")) >= 1, "lease round trips");
        Assert.True(Sample(metrics, "edge_redis_operations_total", ("operation", "renew"), ("result", "ok")) >= 1, "renew round trips");
        Assert.True(Sample(metrics, "edge_redis_operations_total", ("operation", "other"), ("result", "ok")) >= 1, "visit round trips");
        Assert.True(Sample(metrics, "edge_redis_operation_seconds_count", ("operation", "lease")) >= 1, "lease timings");
        Assert.Equal(1, Sample(metrics, "edge_pool_leases_total", ("kind", "exclusive"), ("script", script)));
        Assert.Equal(3, Sample(metrics, "edge_pool_numbers", ("script", script)));
        Assert.Equal(1, Sample(metrics, "edge_pool_numbers_leased", ("script", script)));
        Assert.Equal(0, Sample(metrics, "edge_spool_oldest_age_seconds"));
        Assert.NotNull(SampleOrNull(metrics, "edge_spool_appended_total"));
        Assert.Equal(0, Sample(metrics, "edge_webhook_outbox_depth"));
        Assert.NotNull(SampleOrNull(metrics, "edge_webhook_oldest_age_seconds"));
        Assert.Equal(0, Sample(metrics, "edge_sip_registrations_active"));
        Assert.True(Sample(metrics, "edge_postgres_operations_total", ("module", "host"), ("operation", "project_key"), ("result", "ok")) >= 1, "API key lookups");
        Assert.True(Sample(metrics, "edge_postgres_operation_seconds_count", ("module", "host"), ("operation", "project_key")) >= 1, "API key lookup timings");
    }

    private static double Sample(string exposition, string metric, params (string Name, string Value)[] labels) =>
        SampleOrNull(exposition, metric, labels) ?? throw new Xunit.Sdk.XunitException($"no {metric} series with {string.Join(", ", labels)} in:\n{string.Join('\n', exposition.Split('\n').Where(l => l.StartsWith(metric, StringComparison.Ordinal)))}");

    private static double? SampleOrNull(string exposition, string metric, params (string Name, string Value)[] labels)
    {
        foreach (Match match in Regex.Matches(exposition, "^" + Regex.Escape(metric) + @"(\{[^}]*\})? (\S+)$", RegexOptions.Multiline))
        {
            var set = match.Groups[1].Value;
            if (labels.All(l => set.Contains($"{l.Name}=\"{l.Value}\"", StringComparison.Ordinal)))
            {
                return double.Parse(match.Groups[2].Value, CultureInfo.InvariantCulture);
            }
        }

        return null;
    }
}
