using System.Diagnostics;
using System.Globalization;
using Calltracking.Edge.Testing;

namespace Calltracking.Edge.Benchmarks.Leases;

/// <summary>
/// What the edge process and Redis spent over one load run, per request: CPU (and in cores), and from the edge's own
/// <c>/metrics</c> the managed bytes allocated and the thread-pool work items run (each a hand-over between threads).
/// Allocation and hand-overs do not depend on what else the two cores are doing; throughput and CPU do.
/// </summary>
internal sealed class ServerUsage
{
    private readonly EdgeProcess edge;
    private readonly HttpClient http;
    private readonly Func<double> redisCpuSeconds;
    private readonly long started = Stopwatch.GetTimestamp();
    private readonly TimeSpan edgeCpu;
    private readonly double redisCpu;
    private readonly Dictionary<string, double> metrics;

    private ServerUsage(EdgeProcess edge, HttpClient http, Func<double> redisCpuSeconds, Dictionary<string, double> metrics)
    {
        this.edge = edge;
        this.http = http;
        this.redisCpuSeconds = redisCpuSeconds;
        this.metrics = metrics;
        edgeCpu = edge.TotalProcessorTime;
        redisCpu = redisCpuSeconds();
    }

    public static async Task<ServerUsage> StartAsync(EdgeProcess edge, HttpClient http, Func<double> redisCpuSeconds) =>
        new(edge, http, redisCpuSeconds, await MetricsAsync(http));

    public async Task<string> StopAsync(long requests)
    {
        var elapsed = Stopwatch.GetElapsedTime(started).TotalSeconds;
        var edgeSeconds = (edge.TotalProcessorTime - edgeCpu).TotalSeconds;
        var redisSeconds = redisCpuSeconds() - redisCpu;
        var now = await MetricsAsync(http);
        double PerRequest(string name) => (now[name] - metrics[name]) / Math.Max(1, requests);
        return FormattableString.Invariant(
            $"edge {edgeSeconds / elapsed:F2} cores ({edgeSeconds * 1e6 / Math.Max(1, requests):F0} µs CPU, {PerRequest("dotnet_gc_allocated_bytes_total"):F0} B allocated, {PerRequest("dotnet_threadpool_completed_items_total"):F1} thread-pool items per request), Redis {redisSeconds / elapsed:F2} cores ({redisSeconds * 1e6 / Math.Max(1, requests):F0} µs/request)");
    }

    private static async Task<Dictionary<string, double>> MetricsAsync(HttpClient http)
    {
        var text = await http.GetStringAsync(new Uri("/metrics", UriKind.Relative));
        var values = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var line in text.Split('\n'))
        {
            var space = line.LastIndexOf(' ');
            if (line.StartsWith("dotnet_", StringComparison.Ordinal) && space > 0)
            {
                values[line[..space]] = double.Parse(line[(space + 1)..], CultureInfo.InvariantCulture);
            }
        }

        return values;
    }
}
