using System.Diagnostics.Metrics;
using Calltracking.Shared.Metrics;

namespace Calltracking.Shared.Tests.Metrics;

/// <summary>
/// A meter of its own per test plus a collector that listens only to it: test classes run in parallel and
/// every collector would otherwise see every other test's instruments.
/// </summary>
internal sealed class TestMeter : IDisposable
{
    public TestMeter(Action<MetricsOptions>? configure = null)
    {
        var name = "Calltracking.Edge.Test" + Guid.NewGuid().ToString("N");
        var options = new MetricsOptions { MeterPrefix = name, IncludeProcessMetrics = false };
        configure?.Invoke(options);
        Collector = new MetricsCollector(options);
        Meter = new Meter(name);
    }

    public Meter Meter { get; }

    public MetricsCollector Collector { get; }

    public string Scrape()
    {
        using var scrape = Collector.Scrape();
        return scrape.ToString();
    }

    /// <summary>The sample lines (no comments) of one scrape.</summary>
    public string[] Samples() =>
        Scrape().Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(static l => !l.StartsWith('#')).ToArray();

    public void Dispose()
    {
        Meter.Dispose();
        Collector.Dispose();
    }
}
