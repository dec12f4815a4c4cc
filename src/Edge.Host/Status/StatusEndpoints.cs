using System.Security.Cryptography;
using System.Text;
using Calltracking.Edge.Host.Api;
using Calltracking.Edge.Host.Configuration;
using Microsoft.Extensions.Options;

namespace Calltracking.Edge.Host.Status;

/// <summary>
/// <c>/status</c>: a live page for operators, behind the admin key (header <c>X-Admin-Key</c> or query <c>key</c>).
/// One self-contained HTML file with inline script and SVG charts, fed by <c>/metrics</c> every few seconds: no
/// build step, no external assets, nothing extra to keep in sync with the metrics.
/// </summary>
internal static class StatusEndpoints
{
    private static readonly Lazy<byte[]> Page = new(() =>
    {
        using var stream = typeof(StatusEndpoints).Assembly.GetManifestResourceStream("Calltracking.Edge.Host.Status.status.html")!;
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    });

    public static IEndpointRouteBuilder MapEdgeStatus(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/status", (HttpContext http, IOptions<HttpOptions> options) =>
        {
            var adminKey = options.Value.AdminKey;
            if (adminKey.Length == 0)
            {
                return ApiErrors.Error(StatusCodes.Status404NotFound, "disabled", "the status page is off: set Http:AdminKey");
            }

            var given = http.Request.Headers["X-Admin-Key"].ToString();
            if (given.Length == 0)
            {
                given = http.Request.Query["key"].ToString();
            }

            if (!CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(given), Encoding.UTF8.GetBytes(adminKey)))
            {
                return ApiErrors.Error(StatusCodes.Status401Unauthorized, "authentication_failed", "header 'X-Admin-Key' (or query 'key') must be the admin key");
            }

            http.Response.Headers.CacheControl = "no-store";
            http.Response.Headers["Content-Security-Policy"] = "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'";
            return Results.Bytes(Page.Value, "text/html; charset=utf-8");
        });
        return endpoints;
    }
}
