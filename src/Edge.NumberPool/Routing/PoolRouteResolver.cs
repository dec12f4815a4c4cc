using System.Diagnostics.Metrics;
using System.Globalization;
using Calltracking.Edge.NumberPool.Catalogue;
using Calltracking.Edge.NumberPool.Leases;
using Calltracking.Shared.Phones;
using Calltracking.Shared.Routing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Calltracking.Edge.NumberPool.Routing;

/// <summary>
/// Answers the SIP edge's question for each INVITE: which project, script and target a dialed number belongs to,
/// and which visit held it at that instant. Redis is asked with a short deadline; when it does not answer the call
/// is routed without attribution and counted — a call is never refused because a store is slow.
/// </summary>
public sealed partial class PoolRouteResolver(
    CatalogueStore catalogue,
    LeaseStore leases,
    RouteCache cache,
    CallTally tally,
    IOptions<PoolOptions> options,
    IMeterFactory meters,
    ILogger<PoolRouteResolver> logger,
    Calltracking.Shared.Metrics.PostgresMetrics? postgres = null) : IRouteResolver
{
    private readonly Counter<long> attributions = meters.Create("Calltracking.Edge.NumberPool").CreateCounter<long>("edge_attribution_total");
    private readonly Counter<long> lookups = meters.Create("Calltracking.Edge.NumberPool").CreateCounter<long>("edge_route_lookups_total");

    public async ValueTask<RouteLookup> ResolveAsync(RouteQuery query, CancellationToken cancellationToken)
    {
        CachedRoute? route;
        try
        {
            route = await CatalogueRouteAsync(query.DialedNumber, cancellationToken);
        }
        catch (Exception ex) when (ex is Npgsql.NpgsqlException or TimeoutException)
        {
            LogCatalogueUnavailable(logger, ex);
            lookups.Add(1, new KeyValuePair<string, object?>("status", "error"));
            throw;
        }

        if (route is null)
        {
            lookups.Add(1, new KeyValuePair<string, object?>("status", "unknown_number"));
            return RouteLookup.Unknown;
        }

        if (route.Script is not { IsEnabled: true, IsDeleted: false } script)
        {
            lookups.Add(1, new KeyValuePair<string, object?>("status", "script_disabled"));
            return new RouteLookup(RouteLookupStatus.ScriptDisabled, null);
        }

        lookups.Add(1, new KeyValuePair<string, object?>("status", "found"));
        var caller = query.Caller;
        if (caller is not null && PhoneNumber.TryNormalize(caller, !route.Settings.NoNormalizeCaller, out var normalizedCaller, out _)
            && !string.Equals(caller, normalizedCaller, StringComparison.Ordinal))
        {
            // Only a caller that normalising changed gets a second string: the call keeps both for as long as it lasts.
            caller = normalizedCaller;
        }

        var attribution = Attribution.Unknown;
        var degraded = false;
        if (script.CalltrackingType == "dynamic")
        {
            try
            {
                attribution = await AttributeAsync(script.ProjectId, query.DialedNumber, query.At, caller).WaitAsync(TimeSpan.FromMilliseconds(options.Value.RedisTimeoutMilliseconds), cancellationToken);
                attributions.Add(1, new KeyValuePair<string, object?>("outcome", attribution.Confidence.ToString().ToLowerInvariant()));
            }
            catch (Exception ex) when (ex is StackExchange.Redis.RedisException or Redis.RedisScriptException or TimeoutException)
            {
                degraded = true;
                attributions.Add(1, new KeyValuePair<string, object?>("outcome", "unavailable"));
                LogAttributionUnavailable(logger, query.DialedNumber, ex.GetType().Name);
            }
        }

        var decision = new RouteDecision
        {
            ProjectId = script.ProjectId,
            ScriptId = script.Id,
            PhoneId = route.Phone.Id,
            // The catalogue's copy of the number (the same digits) instead of the one parsed from this INVITE, so a
            // call in progress holds no string of its own for it.
            DialedNumber = string.Equals(route.Phone.Phone, query.DialedNumber, StringComparison.Ordinal) ? route.Phone.Phone : query.DialedNumber,
            Caller = caller,
            Redirect = script.RedirectType switch { "sip" => RedirectType.Sip, "sip_trunk" => RedirectType.SipTrunk, _ => RedirectType.Phone },
            RedirectValue = script.RedirectValue,
            SipAccount = script.RedirectType == "sip_trunk" ? string.Create(CultureInfo.InvariantCulture, $"{script.ProjectId}_{script.SipTrunkPostfix ?? script.Id.ToString(CultureInfo.InvariantCulture)}") : null,
            StaticSource = script.CalltrackingType == "static" ? script.StaticSource : null,
            RingTimeout = TimeSpan.FromSeconds(script.RingTimeoutSeconds),
            Settings = route.Settings,
            Attribution = attribution,
        };
        tally.Add(query.DialedNumber, script.Id, query.At, script.CalltrackingType == "dynamic" ? attribution.Confidence : null);
        return new RouteLookup(RouteLookupStatus.Found, decision, degraded);
    }

    private async Task<CachedRoute?> CatalogueRouteAsync(string number, CancellationToken cancellationToken)
    {
        if (cache.TryGet(number, out var cached))
        {
            return cached;
        }

        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        (PhoneRecord Phone, ScriptRecord? Script, string Settings)? found;
        try
        {
            found = await catalogue.FindNumberAsync(number, cancellationToken);
            postgres?.Succeeded("numberpool", "find_number", started);
        }
        catch (Exception ex) when (postgres?.Failed("numberpool", "find_number", started, ex) == true)
        {
            throw;
        }

        var route = found is { } f ? new CachedRoute(f.Phone, f.Script, ProjectSettings.Parse(f.Settings)) : null;
        cache.Set(number, route);
        return route;
    }

    private async Task<Attribution> AttributeAsync(long projectId, string number, DateTimeOffset at, string? caller)
    {
        var resolution = await leases.ResolveAsync(projectId, number, at, caller);
        if (resolution.VisitId is not { } visitId)
        {
            return Attribution.Unknown;
        }

        var fields = new Dictionary<string, string>(resolution.Fields, StringComparer.Ordinal) { ["visit_id"] = visitId };
        fields.TryGetValue("marker", out var marker);
        return new Attribution(visitId, marker, resolution.Confidence, fields);
    }

    [LoggerMessage(EventId = 4001, Level = LogLevel.Warning, Message = "Attribution of a call to {Number} skipped: Redis did not answer ({Error})")]
    private static partial void LogAttributionUnavailable(ILogger logger, string number, string error);

    [LoggerMessage(EventId = 4002, Level = LogLevel.Error, Message = "The catalogue could not be read")]
    private static partial void LogCatalogueUnavailable(ILogger logger, Exception exception);
}
