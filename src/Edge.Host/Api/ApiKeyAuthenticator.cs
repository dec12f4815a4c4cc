using System.Collections.Concurrent;
using Calltracking.Edge.Host.Configuration;
using Calltracking.Edge.Host.Projects;
using Microsoft.Extensions.Options;

namespace Calltracking.Edge.Host.Api;

/// <summary>
/// Maps an <c>Api-key</c> to its project. Successful lookups are cached for a short time so the API does not
/// hit PostgreSQL on every request; unknown keys are not cached (a revoked key stops working within the TTL).
/// </summary>
public sealed class ApiKeyAuthenticator(ProjectStore store, IOptions<HttpOptions> options, TimeProvider time, Calltracking.Shared.Metrics.PostgresMetrics? postgres = null)
{
    private readonly ConcurrentDictionary<string, (long ProjectId, long ExpiresAt)> cache = new(StringComparer.Ordinal);

    public async ValueTask<long?> AuthenticateAsync(string key, CancellationToken cancellationToken)
    {
        var now = time.GetTimestamp();
        if (cache.TryGetValue(key, out var cached) && cached.ExpiresAt > now)
        {
            return cached.ProjectId;
        }

        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        long? projectId;
        try
        {
            projectId = await store.FindProjectByKeyAsync(key, cancellationToken);
            postgres?.Succeeded("host", "project_key", started);
        }
        catch (Exception ex) when (postgres?.Failed("host", "project_key", started, ex) == true)
        {
            throw;
        }

        if (projectId is { } id && options.Value.ApiKeyCacheSeconds > 0)
        {
            if (cache.Count > 10_000)
            {
                cache.Clear();
            }

            cache[key] = (id, now + (options.Value.ApiKeyCacheSeconds * time.TimestampFrequency));
        }

        return projectId;
    }
}
