using System.Diagnostics.Metrics;
using BenchmarkDotNet.Attributes;
using Calltracking.Shared.Metrics;

namespace Calltracking.Edge.Benchmarks.Metrics;

/// <summary>
/// The hot path: one measurement on a known label set, as the SIP stack records per message.
/// Command: <c>dotnet run -c Release --project tests/Edge.Benchmarks -- --filter '*RecordBenchmarks*'</c>.
/// </summary>
[MemoryDiagnoser]
public class RecordBenchmarks
{
    private static readonly KeyValuePair<string, object?> Method = new("method", "INVITE");
    private static readonly KeyValuePair<string, object?> Transport = new("transport", "udp");
    private static readonly KeyValuePair<string, object?> Redirect = new("redirect", "phone");

    private Meter _meter = null!;
    private MetricsCollector _collector = null!;
    private Counter<long> _counter = null!;
    private Histogram<double> _histogram = null!;

    [GlobalSetup]
    public void Setup()
    {
        var name = "Calltracking.Edge.Bench" + Guid.NewGuid().ToString("N");
        _collector = new MetricsCollector(new MetricsOptions { MeterPrefix = name, IncludeProcessMetrics = false });
        _meter = new Meter(name);
        _counter = _meter.CreateCounter<long>("edge_bench_messages_received_total");
        _histogram = _meter.CreateHistogram<double>("edge_bench_invite_forward_seconds");
        _counter.Add(1, Method, Transport);
        _histogram.Record(0.001, Redirect);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _meter.Dispose();
        _collector.Dispose();
    }

    [Benchmark]
    public void CounterAddTwoTags() => _counter.Add(1, Method, Transport);

    [Benchmark]
    public void HistogramRecordOneTag() => _histogram.Record(0.0042, Redirect);
}
