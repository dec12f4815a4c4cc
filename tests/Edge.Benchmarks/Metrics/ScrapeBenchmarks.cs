using System.Diagnostics.Metrics;
using BenchmarkDotNet.Attributes;
using Calltracking.Shared.Metrics;

namespace Calltracking.Edge.Benchmarks.Metrics;

/// <summary>
/// One scrape of 10,000 series: 8,000 counter series, 1,000 gauge series and 1,000 histogram series of 13 buckets
/// (about 26,000 sample lines). The scrape runs on one thread, so its mean time is its CPU cost.
/// Command: <c>dotnet run -c Release --project tests/Edge.Benchmarks -- --filter '*ScrapeBenchmarks*'</c>.
/// </summary>
[MemoryDiagnoser]
public class ScrapeBenchmarks
{
    private Meter _meter = null!;
    private MetricsCollector _collector = null!;

    [Params(false, true)]
    public bool ProcessMetrics { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var name = "Calltracking.Edge.Bench" + Guid.NewGuid().ToString("N");
        _collector = new MetricsCollector(new MetricsOptions { MeterPrefix = name, IncludeProcessMetrics = ProcessMetrics, MaxSeriesPerInstrument = 10_000 });
        _meter = new Meter(name);
        string[] methods = ["INVITE", "ACK", "BYE", "CANCEL", "OPTIONS", "REGISTER", "INFO", "UPDATE"];
        for (var c = 0; c < 20; c++)
        {
            var counter = _meter.CreateCounter<long>($"edge_bench_counter_{c}", description: "Benchmark counter.");
            for (var s = 0; s < 400; s++)
            {
                counter.Add(s + 1, new("method", methods[s % methods.Length]), new("script", s), new("status_class", $"{(s % 5) + 1}xx"));
            }
        }

        for (var g = 0; g < 10; g++)
        {
            var gauge = _meter.CreateGauge<double>($"edge_bench_gauge_{g}", description: "Benchmark gauge.");
            for (var s = 0; s < 100; s++)
            {
                gauge.Record(s * 0.01, new KeyValuePair<string, object?>("script", s));
            }
        }

        for (var h = 0; h < 10; h++)
        {
            var histogram = _meter.CreateHistogram<double>($"edge_bench_seconds_{h}", description: "Benchmark histogram.");
            for (var s = 0; s < 100; s++)
            {
                for (var v = 0; v < 20; v++)
                {
                    histogram.Record(v * 0.07, new("redirect", "phone"), new("script", s));
                }
            }
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _meter.Dispose();
        _collector.Dispose();
    }

    [Benchmark]
    public int Scrape10kSeries()
    {
        using var scrape = _collector.Scrape();
        return scrape.Content.Length;
    }
}
