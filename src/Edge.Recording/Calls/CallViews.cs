using System.Globalization;
using System.Text.Json.Nodes;
using Calltracking.Shared.Json;

namespace Calltracking.Edge.Recording.Calls;

/// <summary>Calls in the shapes of the reference's call/list and phone-call responses.</summary>
public static class CallViews
{
    public static JsonObject Call(CallRow c, VisitRow? visit, bool extendVisit, bool extendOrder, string? link) => new()
    {
        ["id"] = c.Id.ToString(),
        ["callee"] = c.Callee,
        ["caller"] = c.Caller,
        ["duration"] = c.Duration,
        ["waiting_time"] = c.WaitingTime,
        ["answer_duration"] = c.AnswerDuration,
        ["status"] = c.Status,
        ["date"] = Date(c.StartedAt),
        ["link"] = link,
        ["recording_note"] = c.RecordingNote,
        ["visit_id"] = c.VisitId,
        ["order_id"] = c.OrderId,
        ["marker"] = c.Marker,
        ["attribution"] = c.Confidence,
        ["static_source"] = c.StaticSource is null ? null : new JsonObject
        {
            ["system_name"] = c.StaticSource,
            ["display_name"] = c.StaticSource,
            ["icon_url"] = null,
            ["utm_source"] = null,
            ["utm_medium"] = null,
            ["utm_campaign"] = null,
            ["utm_term"] = null,
            ["utm_content"] = null,
            ["openstat"] = null,
        },
        ["comment"] = c.Comment,
        ["webhook_state"] = c.WebhookState,
        ["tags"] = c.Tags is null ? null : JsonNode.Parse(c.Tags),
        ["visit"] = extendVisit && visit is not null ? Visit(visit) : null,
        ["order"] = null,
    };

    private static JsonObject Visit(VisitRow v) => new()
    {
        ["id"] = v.Id,
        ["first_id"] = v.Id,
        ["date"] = Date(v.CreatedAt),
        ["referrer"] = v.Referrer,
        ["host"] = v.Domain,
        ["landing_page"] = v.LandingPage,
        ["agent"] = v.UserAgent,
        ["ip"] = v.Ip,
        ["google_client_id"] = v.GoogleClientId,
        ["city"] = v.City,
        ["source"] = new JsonObject
        {
            ["system_name"] = v.Marker ?? v.Source ?? string.Empty,
            ["display_name"] = v.Source ?? v.Marker,
            ["icon_url"] = null,
            ["utm_source"] = v.UtmSource,
            ["utm_medium"] = v.UtmMedium,
            ["utm_campaign"] = v.UtmCampaign,
            ["utm_term"] = v.UtmTerm,
            ["utm_content"] = v.UtmContent,
            ["openstat"] = null,
            ["referrer"] = v.Referrer,
        },
    };

    public static JsonObject PhoneCall(CallRow c) => new()
    {
        ["id"] = c.Id.ToString(),
        ["callee"] = c.Callee,
        ["caller"] = c.Caller,
        ["visit_id"] = c.VisitId,
        ["marker"] = c.Marker,
        ["order_id"] = c.OrderId,
        ["duration"] = c.Duration,
        ["status"] = c.Status,
        ["google_client_id"] = null,
        ["date"] = Date(c.StartedAt),
        ["comment"] = c.Comment,
        ["answer_duration"] = c.AnswerDuration,
    };

    private static string Date(DateTime utc) => ApiJson.FormatDate(new DateTimeOffset(DateTime.SpecifyKind(utc, DateTimeKind.Utc)));

    public static string Id(long value) => value.ToString(CultureInfo.InvariantCulture);
}
