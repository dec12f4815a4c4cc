using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Text.Json;
using Calltracking.Edge.Host.Operations;
using Calltracking.Edge.Testing;
using Calltracking.Shared.Metrics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Calltracking.Edge.Host.Tests.Operations;

/// <summary>
/// A real Prometheus (Debian <c>prometheus</c>) scrapes <c>/metrics</c> of a minimal host every second, loads the
/// shipped alert rules, and answers every query of the Grafana dashboard with data. The instruments stand in for the
/// modules: each metric of docs/operations.md is emitted with its documented type and the label values the
/// dashboard and alerts select on.
/// </summary>
public sealed class PrometheusServerTests
{
    private static readonly Dictionary<string, KeyValuePair<string, object?>[][]> LabelSets = new(StringComparer.Ordinal)
    {
        ["edge_sip_requests_total"] = [[new("direction", "in"), new("method", "INVITE")], [new("direction", "out"), new("method", "INVITE")]],
        ["edge_sip_responses_total"] = [[new("direction", "out"), new("method", "INVITE"), new("status_class", "2xx")], [new("direction", "out"), new("method", "INVITE"), new("status_class", "5xx")]],
        ["edge_sip_parse_errors_total"] = [[new("transport", "udp"), new("reason", "header")]],
        ["edge_sip_retransmissions_total"] = [[new("direction", "out"), new("method", "INVITE")]],
        ["edge_sip_transactions_active"] = [[new("kind", "server_invite")]],
        ["edge_sip_requests_rejected_total"] = [[new("reason", "rate_limited")]],
        ["edge_sip_registrations_total"] = [[new("result", "ok")]],
        ["edge_calls_total"] = [[new("status", "answer"), new("redirect_type", "phone")], [new("status", "busy"), new("redirect_type", "sip")]],
        ["edge_sip_invite_forward_seconds"] = [[new("redirect_type", "phone")]],
        ["edge_call_post_dial_delay_seconds"] = [[new("redirect_type", "phone")]],
        ["edge_rtp_packets_total"] = [[new("direction", "from_caller")]],
        ["edge_rtp_packets_lost_total"] = [[new("direction", "from_caller")]],
        ["edge_attribution_total"] = [[new("outcome", "exclusive")], [new("outcome", "none")]],
        ["edge_route_lookups_total"] = [[new("status", "found")]],
        ["edge_pool_numbers"] = [[new("script", "12")]],
        ["edge_pool_numbers_leased"] = [[new("script", "12")]],
        ["edge_pool_leases_total"] = [[new("script", "12"), new("kind", "exclusive")], [new("script", "12"), new("kind", "shared")]],
        ["edge_redis_operations_total"] = [[new("operation", "lease"), new("result", "ok")], [new("operation", "lease"), new("result", "timeout")]],
        ["edge_redis_operation_seconds"] = [[new("operation", "lease")]],
        ["edge_postgres_operations_total"] = [[new("module", "recording"), new("operation", "insert_call"), new("result", "ok")], [new("module", "recording"), new("operation", "insert_call"), new("result", "error")]],
        ["edge_postgres_operation_seconds"] = [[new("module", "recording"), new("operation", "insert_call")]],
        ["edge_webhook_deliveries_total"] = [[new("event", "end"), new("result", "ok")]],
        ["edge_recordings_total"] = [[new("result", "ok")]],
    };

    [Fact]
    public async Task Prometheus_scrapes_the_edge_loads_the_rules_and_answers_every_dashboard_query()
    {
        var prometheusBinary = ExternalTool.Require("prometheus", "prometheus", "/usr/bin/prometheus");
        var meterName = "Calltracking.Edge.Test" + Guid.NewGuid().ToString("N");
        await using var app = await StartEdgeAsync(meterName);
        using var meter = new Meter(meterName);
        var tick = Emit(meter);
        var edgeAddress = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());

        var dir = Directory.CreateTempSubdirectory("edge-prometheus-");
        var port = FreePort.Tcp();
        var config = Path.Combine(dir.FullName, "prometheus.yml");
        await File.WriteAllTextAsync(config, $"""
            global:
              scrape_interval: 1s
              evaluation_interval: 1s
            rule_files:
              - {RepositoryFiles.PathOf("deploy/prometheus/rules/edge-alerts.yml")}
            scrape_configs:
              - job_name: calltracking-edge
                static_configs:
                  - targets: ['{edgeAddress.Authority}']
            """);
        var psi = new ProcessStartInfo(prometheusBinary)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in new[] { $"--config.file={config}", $"--storage.tsdb.path={Path.Combine(dir.FullName, "data")}", $"--web.listen-address=127.0.0.1:{port}", "--log.level=warn" })
        {
            psi.ArgumentList.Add(argument);
        }

        using var prometheus = Process.Start(psi)!;
        var log = prometheus.StandardError.ReadToEndAsync();
        _ = prometheus.StandardOutput.ReadToEndAsync();
        using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(10) };
        try
        {
            // Four scrapes one second apart with counters moving in between give every rate() two or more points.
            await WaitForAsync(client, "up{job=\"calltracking-edge\"} == 1", prometheus, log);
            for (var i = 0; i < 4; i++)
            {
                tick();
                await Task.Delay(TimeSpan.FromSeconds(1.1));
            }

            await WaitForAsync(client, "count_over_time(edge_calls_total[1m]) >= 3", prometheus, log);

            var empty = new List<string>();
            foreach (var expr in DashboardQueries())
            {
                var result = await QueryAsync(client, expr);
                if (result.GetArrayLength() == 0)
                {
                    empty.Add(expr);
                }
            }

            Assert.True(empty.Count == 0, "dashboard queries without data:\n" + string.Join('\n', empty));

            using var rules = JsonDocument.Parse(await client.GetStringAsync("/api/v1/rules"));
            var loaded = rules.RootElement.GetProperty("data").GetProperty("groups").EnumerateArray()
                .SelectMany(static g => g.GetProperty("rules").EnumerateArray()).ToArray();
            Assert.Equal(12, loaded.Length);
            Assert.All(loaded, static r => Assert.NotEqual("err", r.GetProperty("health").GetString()));
        }
        finally
        {
            prometheus.Kill();
            await prometheus.WaitForExitAsync();
            dir.Delete(recursive: true);
        }
    }

    private static async Task<WebApplication> StartEdgeAsync(string meterName)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Testing" });
        builder.Configuration.Sources.Clear();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Metrics:MeterPrefix"] = meterName });
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Services.AddEdgeMetrics(builder.Configuration);
        var app = builder.Build();
        app.MapEdgeMetrics();
        await app.StartAsync();
        return app;
    }

    /// <summary>Creates one instrument per documented metric; the returned action moves every counter and histogram.</summary>
    private static Action Emit(Meter meter)
    {
        var actions = new List<Action>();
        foreach (var (name, type) in DocumentedEdgeMetrics())
        {
            var sets = LabelSets.TryGetValue(name, out var s) ? s : [[]];
            switch (type)
            {
                case "counter":
                    var counter = meter.CreateCounter<long>(name, description: "stand-in for the module");
                    actions.Add(() => Array.ForEach(sets, tags => counter.Add(3, tags)));
                    break;
                case "histogram":
                    var histogram = meter.CreateHistogram<double>(name, description: "stand-in for the module");
                    actions.Add(() => Array.ForEach(sets, tags =>
                    {
                        histogram.Record(0.004, tags);
                        histogram.Record(0.2, tags);
                    }));
                    break;
                default:
                    meter.CreateObservableGauge(name, () => sets.Select(static tags => new Measurement<double>(5, tags)), description: "stand-in for the module");
                    break;
            }
        }

        return () => actions.ForEach(static a => a());
    }

    private static IEnumerable<(string Name, string Type)> DocumentedEdgeMetrics()
    {
        foreach (var line in File.ReadLines(RepositoryFiles.PathOf("docs/operations.md")))
        {
            var cells = line.Split('|', StringSplitOptions.TrimEntries);
            if (cells.Length > 3 && cells[1].StartsWith("`edge_", StringComparison.Ordinal) && !cells[1].StartsWith("`edge_metrics_", StringComparison.Ordinal))
            {
                yield return (cells[1].Trim('`'), cells[2]);
            }
        }
    }

    private static IEnumerable<string> DashboardQueries()
    {
        using var document = JsonDocument.Parse(File.ReadAllText(RepositoryFiles.PathOf("deploy/grafana/calltracking-edge.json")));
        return document.RootElement.GetProperty("panels").EnumerateArray()
            .Where(static p => p.TryGetProperty("targets", out _))
            .SelectMany(static p => p.GetProperty("targets").EnumerateArray())
            .Select(static t => t.GetProperty("expr").GetString()!
                .Replace("$__rate_interval", "1m", StringComparison.Ordinal)
                .Replace("$instance", ".*", StringComparison.Ordinal))
            .ToArray();
    }

    private static async Task<JsonElement> QueryAsync(HttpClient client, string expr)
    {
        using var response = await client.GetAsync("/api/v1/query?query=" + Uri.EscapeDataString(expr));
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{expr}: {body}");
        using var document = JsonDocument.Parse(body);
        return document.RootElement.GetProperty("data").GetProperty("result").Clone();
    }

    /// <summary>Waits for a condition on Prometheus's side (its start, its scrapes), bounded at 30 s.</summary>
    private static async Task WaitForAsync(HttpClient client, string expr, Process prometheus, Task<string> log)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            Assert.False(prometheus.HasExited, "prometheus exited: " + (prometheus.HasExited ? await log : string.Empty));
            try
            {
                // Until its storage is open Prometheus answers 503; that is "not yet", not a failure.
                using var response = await client.GetAsync("/api/v1/query?query=" + Uri.EscapeDataString(expr));
                if (response.IsSuccessStatusCode)
                {
                    using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
                    if (document.RootElement.GetProperty("data").GetProperty("result").GetArrayLength() > 0)
                    {
                        return;
                    }
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }

            await Task.Delay(250);
        }

        Assert.Fail($"Prometheus never satisfied {expr} within 30 s");
    }
}
