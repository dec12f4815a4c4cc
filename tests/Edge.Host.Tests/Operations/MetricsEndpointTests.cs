using System.Diagnostics.Metrics;
using System.Net;
using Calltracking.Edge.Host.Operations;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Calltracking.Edge.Host.Tests.Operations;

/// <summary>
/// <c>/metrics</c> on a minimal Kestrel app (127.0.0.1, ephemeral port) wired only with
/// <c>AddEdgeMetrics</c>/<c>MapEdgeMetrics</c>: no Program.cs, no Redis or PostgreSQL needed.
/// </summary>
public sealed class MetricsEndpointTests
{
    private static async Task<WebApplication> StartAsync(Dictionary<string, string?> settings)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Testing" });
        builder.Configuration.Sources.Clear();
        builder.Configuration.AddInMemoryCollection(settings);
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Services.AddEdgeMetrics(builder.Configuration);
        var app = builder.Build();
        app.MapEdgeMetrics();
        await app.StartAsync();
        return app;
    }

    private static Uri BaseAddress(WebApplication app) =>
        new(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());

    private static string UniqueMeter() => "Calltracking.Edge.Test" + Guid.NewGuid().ToString("N");

    [Fact]
    public async Task Metrics_serves_the_exposition_format_with_its_content_type()
    {
        var meterName = UniqueMeter();
        await using var app = await StartAsync(new() { ["Metrics:MeterPrefix"] = meterName });
        using var meter = new Meter(meterName);
        meter.CreateCounter<long>("edge_sip_messages_received_total", description: "SIP messages received.").Add(7, new KeyValuePair<string, object?>("method", "OPTIONS"));

        using var client = new HttpClient { BaseAddress = BaseAddress(app) };
        using var response = await client.GetAsync(MetricsEndpoint.Path);
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/plain; version=0.0.4; charset=utf-8", response.Content.Headers.ContentType!.ToString());
        Assert.Contains("edge_sip_messages_received_total{method=\"OPTIONS\"} 7\n", body, StringComparison.Ordinal);
        Assert.Contains("# TYPE process_cpu_seconds_total counter\n", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Counters_move_between_scrapes()
    {
        var meterName = UniqueMeter();
        await using var app = await StartAsync(new() { ["Metrics:MeterPrefix"] = meterName, ["Metrics:IncludeProcessMetrics"] = "false" });
        using var meter = new Meter(meterName);
        var calls = meter.CreateCounter<long>("edge_calls_total");
        using var client = new HttpClient { BaseAddress = BaseAddress(app) };

        calls.Add(2);
        Assert.Contains("edge_calls_total 2\n", await client.GetStringAsync(MetricsEndpoint.Path), StringComparison.Ordinal);
        calls.Add(3);
        var second = await client.GetStringAsync(MetricsEndpoint.Path);
        Assert.Contains("edge_calls_total 5\n", second, StringComparison.Ordinal);
        Assert.DoesNotContain("process_cpu_seconds_total", second, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Configured_buckets_replace_the_defaults()
    {
        var meterName = UniqueMeter();
        await using var app = await StartAsync(new()
        {
            ["Metrics:MeterPrefix"] = meterName,
            ["Metrics:DefaultHistogramBuckets:0"] = "1",
            ["Metrics:DefaultHistogramBuckets:1"] = "2",
            ["Metrics:HistogramBuckets:edge_post_dial_delay_seconds:0"] = "0.5",
        });
        using var meter = new Meter(meterName);
        meter.CreateHistogram<double>("edge_other_seconds").Record(1.5);
        meter.CreateHistogram<double>("edge_post_dial_delay_seconds").Record(0.25);
        using var client = new HttpClient { BaseAddress = BaseAddress(app) };
        var lines = (await client.GetStringAsync(MetricsEndpoint.Path)).Split('\n');

        Assert.Equal(["edge_other_seconds_bucket{le=\"1\"} 0", "edge_other_seconds_bucket{le=\"2\"} 1", "edge_other_seconds_bucket{le=\"+Inf\"} 1"], lines.Where(static l => l.StartsWith("edge_other_seconds_bucket", StringComparison.Ordinal)));
        Assert.Equal(["edge_post_dial_delay_seconds_bucket{le=\"0.5\"} 1", "edge_post_dial_delay_seconds_bucket{le=\"+Inf\"} 1"], lines.Where(static l => l.StartsWith("edge_post_dial_delay_seconds_bucket", StringComparison.Ordinal)));
    }

    [Theory]
    [InlineData("Metrics:MaxSeriesPerInstrument", "0", "Metrics:MaxSeriesPerInstrument")]
    [InlineData("Metrics:HistogramBuckets:edge_x_seconds:1", "-1", "Metrics:HistogramBuckets:edge_x_seconds")]
    [InlineData("Metrics:MeterPrefix", "", "Metrics:MeterPrefix")]
    public async Task Bad_settings_stop_the_start_naming_the_setting(string key, string value, string named)
    {
        var settings = new Dictionary<string, string?> { [key] = value };
        if (key.StartsWith("Metrics:HistogramBuckets", StringComparison.Ordinal))
        {
            settings["Metrics:HistogramBuckets:edge_x_seconds:0"] = "1";
        }

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => StartAsync(settings));
        Assert.Contains(named, error.Message, StringComparison.Ordinal);
    }
}
