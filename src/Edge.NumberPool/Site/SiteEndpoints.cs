using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Calltracking.Edge.NumberPool.Catalogue;
using Calltracking.Edge.NumberPool.Leases;
using Calltracking.Edge.NumberPool.Routing;
using Calltracking.Edge.NumberPool.Visits;
using Calltracking.Shared.Json;
using Calltracking.Shared.Phones;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Calltracking.Edge.NumberPool.Site;

/// <summary>
/// What the substitution script on customers' sites calls (public, no API key): create a visit, get a number for
/// it, keep the number with heartbeats; and the script itself, <c>/site/counter.js</c>.
/// </summary>
public static class SiteEndpoints
{
    private const int MaxFieldLength = 2048;

    public static IEndpointRouteBuilder MapNumberPoolSite(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapPost("/site/visit", (HttpContext http, VisitStore visits, LeaseStore leases) => Handle(http, async (project, body) =>
        {
            if (!await visits.ProjectExistsAsync(project, http.RequestAborted))
            {
                throw new ApiValidationException("project", $"project {project} does not exist");
            }

            var fields = new Dictionary<string, string?>(StringComparer.Ordinal);
            foreach (var field in VisitStore.Fields)
            {
                fields[field] = Json.OptionalString(body, field, MaxFieldLength);
            }

            fields["user_agent"] ??= http.Request.Headers.UserAgent.ToString() is { Length: > 0 } ua ? ua[..Math.Min(ua.Length, MaxFieldLength)] : null;
            fields["source"] ??= SourceOf(fields);
            var id = await visits.CreateAsync(project, fields, http.Connection.RemoteIpAddress, http.RequestAborted);
            var visitId = VisitStore.IdText(id);
            await leases.StoreVisitAsync(project, visitId, fields);
            return new JsonObject { ["visit_id"] = visitId, ["status"] = "success" };
        }));

        endpoints.MapPost("/site/number", (HttpContext http, VisitStore visits, LeaseStore leases, CatalogueStore catalogue, RouteCache cache) => Handle(http, async (project, body) =>
        {
            var visitId = Json.RequiredLong(body, "visit_id");
            var held = Json.OptionalString(body, "numbers_version", 64);
            var visitText = VisitStore.IdText(visitId);
            var scripts = await cache.SiteScriptsAsync(project, () => LoadSiteScriptsAsync(catalogue, project, http.RequestAborted));

            // Without segments no visit field is needed to choose: the acquire itself checks that Redis has the
            // visit, and a number request is then one Redis round trip. With no script at all the visit is still checked.
            Dictionary<string, string?>? fields = null;
            if (scripts.Count == 0 || scripts.Any(s => s.Segments is not null))
            {
                fields = await VisitFieldsAsync(visits, leases, project, visitId, http.RequestAborted);
            }

            foreach (var site in scripts)
            {
                if (fields is not null && !SegmentMatcher.Matches(site.Segments, fields))
                {
                    continue;
                }

                var lease = await leases.AcquireAsync(site.Script, visitText, requireVisit: fields is null);
                if (lease.Kind == LeaseKind.UnknownVisit)
                {
                    // Expired from Redis (or never there): restore it from PostgreSQL, which also says whether it exists.
                    fields = await VisitFieldsAsync(visits, leases, project, visitId, http.RequestAborted);
                    lease = await leases.AcquireAsync(site.Script, visitText);
                }

                if (lease.Number is null)
                {
                    continue;
                }

                var formatted = site.Format is { } format && format.TryFormat(lease.Number, out var text, out _) ? text : lease.Number;

                return NumberAnswer.For(site, lease.Number, formatted, lease.Kind, held);
            }

            return JsonAnswer(new JsonObject { ["phone"] = null, ["status"] = "success" });
        }));

        endpoints.MapPost("/site/heartbeat", (HttpContext http, LeaseStore leases) => Handle(http, async (project, body) =>
        {
            var visitId = Json.RequiredLong(body, "visit_id");
            var renewed = await leases.HeartbeatAsync(project, VisitStore.IdText(visitId));
            return new JsonObject { ["renewed"] = renewed, ["status"] = "success" };
        }));

        endpoints.MapGet("/site/counter.js", () => Results.Text(CounterScript.Source, "application/javascript; charset=utf-8"));

        // CORS preflight: the counter posts JSON from the customer's site, which browsers announce with OPTIONS.
        endpoints.MapMethods("/site/{endpoint}", ["OPTIONS"], (HttpContext http) =>
        {
            http.Response.Headers.AccessControlAllowOrigin = "*";
            http.Response.Headers.AccessControlAllowMethods = "POST, OPTIONS";
            http.Response.Headers.AccessControlAllowHeaders = "Content-Type";
            http.Response.Headers.AccessControlMaxAge = "86400";
            return Results.NoContent();
        });
        return endpoints;
    }

    /// <summary>The visit's fields from Redis, else from PostgreSQL (stored back into Redis); 400 when the visit does not exist.</summary>
    private static async Task<Dictionary<string, string?>> VisitFieldsAsync(VisitStore visits, LeaseStore leases, long project, long visitId, CancellationToken cancellationToken)
    {
        var visitText = VisitStore.IdText(visitId);
        var fields = (await leases.VisitFieldsAsync(project, visitText)).ToDictionary(f => f.Key, f => (string?)f.Value, StringComparer.Ordinal);
        if (fields.Count == 0)
        {
            fields = await visits.GetAsync(project, visitId, cancellationToken) ?? throw new ApiValidationException("visit_id", $"visit {visitId} does not exist in project {project}");
            await leases.StoreVisitAsync(project, visitText, fields);
        }

        return fields;
    }

    private static async Task<IReadOnlyList<SiteScript>> LoadSiteScriptsAsync(CatalogueStore catalogue, long project, CancellationToken cancellationToken)
    {
        var scripts = new List<SiteScript>();
        foreach (var script in await catalogue.ActiveScriptsAsync(project, cancellationToken))
        {
            if (script.CalltrackingType != "dynamic")
            {
                continue;
            }

            var numbers = await catalogue.ScriptNumbersAsync(project, script.Id, cancellationToken);
            scripts.Add(new SiteScript(
                script,
                SegmentMatcher.Compile(script.Segments),
                PhoneFormat.TryParse(script.PhoneFormat, out var format, out _) ? format : null,
                JsonDocument.Parse(script.CssSelector).RootElement.GetRawText(),
                JsonSerializer.Serialize(numbers)));
        }

        return scripts;
    }

    /// <summary>The channel of a visit: the marker's first part, "site" for referrals, "" for direct visits.</summary>
    private static string SourceOf(Dictionary<string, string?> fields)
    {
        if (fields["marker"] is { Length: > 0 } marker)
        {
            var underscore = marker.IndexOf('_', StringComparison.Ordinal);
            return underscore > 0 ? marker[..underscore] : marker;
        }

        if (fields["utm_source"] is { Length: > 0 } utm)
        {
            return utm;
        }

        return fields["referrer"] is { Length: > 0 } ? "site" : string.Empty;
    }

    private static IResult JsonAnswer(JsonObject body) => Results.Text(body.ToJsonString(ApiJson.Options), "application/json; charset=utf-8");

    private static async Task<IResult> Handle(HttpContext http, Func<long, JsonElement, Task<JsonObject>> handler) =>
        await Handle(http, async (project, body) => JsonAnswer(await handler(project, body)));

    private static async Task<IResult> Handle(HttpContext http, Func<long, JsonElement, Task<IResult>> handler)
    {
        http.Response.Headers.AccessControlAllowOrigin = "*";
        if (!http.RequestServices.GetRequiredService<SiteRateLimiter>().TryAcquire(http))
        {
            http.Response.Headers.RetryAfter = "1";
            return Results.Json(ApiError.Of("rate_limited", "too many requests from this address; retry after 1 second"), ApiJson.Options, statusCode: StatusCodes.Status429TooManyRequests);
        }

        if (!long.TryParse(http.Request.Query["project"].ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out var project) || project <= 0)
        {
            return Results.Json(ApiError.Of("invalid_request", "project: query parameter 'project' must be a project id"), ApiJson.Options, statusCode: StatusCodes.Status400BadRequest);
        }

        JsonDocument document;
        try
        {
            document = await JsonDocument.ParseAsync(http.Request.Body, cancellationToken: http.RequestAborted);
        }
        catch (JsonException)
        {
            return Results.Json(ApiError.Of("invalid_json", "body: the request body is not valid JSON"), ApiJson.Options, statusCode: StatusCodes.Status400BadRequest);
        }

        // The handler reads the body while the document lives; no clone of it per request.
        using var owner = document;
        var body = document.RootElement;
        if (body.ValueKind != JsonValueKind.Object)
        {
            return Results.Json(ApiError.Of("invalid_request", "body: must be a JSON object"), ApiJson.Options, statusCode: StatusCodes.Status400BadRequest);
        }

        try
        {
            return await handler(project, body);
        }
        catch (ApiValidationException ex)
        {
            return Results.Json(ApiError.Of("invalid_request", ex.Message), ApiJson.Options, statusCode: StatusCodes.Status400BadRequest);
        }
    }
}
