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
    private readonly ConcurrentDictionary<long, (IReadOnlyList<SiteScript> Scripts, long ExpiresAt)> sites = new();

    /// <summary>
    /// The enabled dynamic scripts of a project, ready for number requests (segments compiled, format parsed, the
    /// JSON the site script needs serialised once), cached like routes: number requests are the site's hottest path.
    /// </summary>
    public async ValueTask<IReadOnlyList<SiteScript>> SiteScriptsAsync(long project, Func<Task<IReadOnlyList<SiteScript>>> load)
    {
        if (sites.TryGetValue(project, out var entry) && entry.ExpiresAt > time.GetTimestamp())
        {
            return entry.Scripts;
        }

        var scripts = await load();
        if (options.Value.RouteCacheSeconds > 0)
        {
            if (sites.Count > 10_000)
            {
                sites.Clear();
            }

            sites[project] = (scripts, time.GetTimestamp() + (options.Value.RouteCacheSeconds * time.TimestampFrequency));
        }

        return scripts;
    }

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

    public void Clear()
    {
        entries.Clear();
        sites.Clear();
    }
}

/// <summary>A script as number requests use it; the selector and the numbers are kept as their JSON text, and the answer's part that holds them encoded once.</summary>
public sealed record SiteScript(
    Catalogue.ScriptRecord Script,
    Shared.Filters.FilterNode? Segments,
    Shared.Phones.PhoneFormat? Format,
    string CssSelectorJson,
    string ReplaceableNumbersJson)
{
    /// <summary>
    /// Names this script's list of numbers (a hash of the selector and the numbers): a page that holds the list of that
    /// version gets answers without it.
    /// </summary>
    internal string NumbersVersion => tails.Version;

    /// <summary>Every number answer of this script ends with these bytes (see <see cref="Site.NumberAnswer"/>).</summary>
    internal byte[] AnswerTail => tails.Full;

    /// <summary>The same, without the selector and the numbers, for a page that already holds them at <see cref="NumbersVersion"/>.</summary>
    internal byte[] ShortAnswerTail => tails.Short;

    private readonly (string Version, byte[] Full, byte[] Short) tails = Site.NumberAnswer.Tails(Script, CssSelectorJson, ReplaceableNumbersJson);
}

public sealed record CachedRoute(Catalogue.PhoneRecord Phone, Catalogue.ScriptRecord? Script, Shared.Routing.ProjectCallSettings Settings);
