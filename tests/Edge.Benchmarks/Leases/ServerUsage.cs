using System.Diagnostics;
using Calltracking.Edge.Testing;

namespace Calltracking.Edge.Benchmarks.Leases;

/// <summary>CPU the edge process and Redis used over one load run: per request and in cores.</summary>
internal sealed class ServerUsage
{
    private readonly EdgeProcess edge;
    private readonly Func<double> redisCpuSeconds;
    private readonly long started = Stopwatch.GetTimestamp();
    private readonly TimeSpan edgeCpu;
    private readonly double redisCpu;

    private ServerUsage(EdgeProcess edge, Func<double> redisCpuSeconds)
    {
        this.edge = edge;
        this.redisCpuSeconds = redisCpuSeconds;
        edgeCpu = edge.TotalProcessorTime;
        redisCpu = redisCpuSeconds();
    }

    public static ServerUsage Start(EdgeProcess edge, Func<double> redisCpuSeconds) => new(edge, redisCpuSeconds);

    public string Stop(long requests)
    {
        var elapsed = Stopwatch.GetElapsedTime(started).TotalSeconds;
        var edgeSeconds = (edge.TotalProcessorTime - edgeCpu).TotalSeconds;
        var redisSeconds = redisCpuSeconds() - redisCpu;
        return FormattableString.Invariant(
            $"edge {edgeSeconds / elapsed:F2} cores ({edgeSeconds * 1e6 / Math.Max(1, requests):F0} µs CPU/request), Redis {redisSeconds / elapsed:F2} cores ({redisSeconds * 1e6 / Math.Max(1, requests):F0} µs/request)");
    }
}
