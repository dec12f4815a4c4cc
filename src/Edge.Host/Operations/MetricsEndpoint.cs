using Calltracking.Shared.Metrics;

namespace Calltracking.Edge.Host.Operations;

/// <summary><c>GET /metrics</c>: the Prometheus text exposition format 0.0.4.</summary>
internal static class MetricsEndpoint
{
    public const string Path = "/metrics";

    public static IEndpointRouteBuilder MapEdgeMetrics(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet(Path, WriteAsync).ExcludeFromDescription();
        return endpoints;
    }

    private static async Task WriteAsync(HttpContext context, MetricsCollector collector)
    {
        using var scrape = collector.Scrape();
        var response = context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = MetricsScrape.ContentType;
        response.ContentLength = scrape.Content.Length;
        response.Headers.CacheControl = "no-store";
        await response.Body.WriteAsync(scrape.Content, context.RequestAborted);
    }
}
