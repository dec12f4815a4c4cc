using System.Collections.Concurrent;
using Microsoft.Extensions.Options;

namespace Calltracking.Edge.NumberPool.Routing;

/// <summary>
/// The catalogue part of a route (number → project, script, settings) cached in memory for a few seconds, so the
/// call path reads PostgreSQL once per number and period rather than per call. Catalogue changes on this instance
/// clear it at once; other instances see them within the TTL.
/// </summary>
public sealed class RouteCache(IOptions<PoolOptions> options, TimeProvider time)
{
    private readonly ConcurrentDictionary<string, (CachedRoute? Route, long ExpiresAt)> entries = new(StringComparer.Ordinal);

    public bool TryGet(string number, out CachedRoute? route)
    {
        if (entries.TryGetValue(number, out var entry) && entry.ExpiresAt > time.GetTimestamp())
        {
            route = entry.Route;
            return true;
        }

        route = null;
        return false;
    }

    public void Set(string number, CachedRoute? route)
    {
        if (options.Value.RouteCacheSeconds == 0)
        {
            return;
        }

        if (entries.Count > 100_000)
        {
            entries.Clear();
        }

        entries[number] = (route, time.GetTimestamp() + (options.Value.RouteCacheSeconds * time.TimestampFrequency));
    }

    public void Clear() => entries.Clear();
}

public sealed record CachedRoute(Catalogue.PhoneRecord Phone, Catalogue.ScriptRecord? Script, Shared.Routing.ProjectCallSettings Settings);
