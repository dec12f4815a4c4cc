using System.Text.Json.Nodes;
using Calltracking.Shared.Json;

namespace Calltracking.Edge.NumberPool.Catalogue;

/// <summary>Scripts and phones in the shapes of the call-tracking API reference.</summary>
public static class CatalogueViews
{
    public sealed record ScriptStats(long Exclusive, long Shared, long Fallback, long PoolSize)
    {
        public static ScriptStats None { get; } = new(0, 0, 0, 0);

        /// <summary>Share of number hand-outs that gave the visit a number of its own, in percent; null before any.</summary>
        public int? Accuracy => Exclusive + Shared + Fallback is var total and > 0 ? (int)Math.Round(100.0 * Exclusive / total) : null;

        /// <summary>
        /// Numbers the pool needs for every visit to get its own: when only a fraction f of hand-outs were exclusive,
        /// the pool served about size/f concurrent visitors. Null while accuracy is 100 % or unknown.
        /// </summary>
        public int? NeededPhoneCount => Accuracy is { } a and < 100 && Exclusive > 0
            ? (int)Math.Ceiling(Math.Max(PoolSize, 1) * (double)(Exclusive + Shared + Fallback) / Exclusive)
            : Accuracy is < 100 ? (int?)Math.Max(PoolSize * 2, 1) : null;
    }

    public static JsonObject Script(ScriptRecord s, ScriptStats stats) => new()
    {
        ["id"] = s.Id,
        ["name"] = s.Name,
        ["creation_date"] = ApiJson.FormatDate(new DateTimeOffset(DateTime.SpecifyKind(s.CreatedAt, DateTimeKind.Utc))),
        ["is_enabled"] = s.IsEnabled ? 1 : 0,
        ["is_deleted"] = s.IsDeleted ? 1 : 0,
        ["call_count"] = s.CallCount,
        ["accuracy"] = stats.Accuracy,
        ["options"] = new JsonObject
        {
            ["calltracking_type"] = s.CalltrackingType,
            ["static_source"] = s.StaticSource,
            ["css_selector"] = JsonNode.Parse(s.CssSelector),
            ["phone_format"] = s.PhoneFormat,
            ["redirect"] = new JsonObject
            {
                ["type"] = s.RedirectType,
                ["value"] = s.RedirectValue,
                ["sip_trunk_postfix"] = s.SipTrunkPostfix,
            },
            ["segments"] = s.Segments is null ? null : JsonNode.Parse(s.Segments),
            ["target_call_time"] = s.TargetCallTime,
            ["lease_grace_seconds"] = s.LeaseGraceSeconds,
            ["lease_max_age_seconds"] = s.LeaseMaxAgeSeconds,
            ["exhausted_policy"] = s.ExhaustedPolicy,
            ["fallback_phone"] = s.FallbackPhone,
            ["ring_timeout_seconds"] = s.RingTimeoutSeconds,
            ["call_cost"] = s.CallCost,
        },
        ["integration"] = JsonNode.Parse(s.Integration),
        ["needed_phone_count"] = stats.NeededPhoneCount,
    };

    public static JsonObject Phone(PhoneRecord p, JsonObject? script) => new()
    {
        ["id"] = p.Id,
        ["phone"] = p.Phone,
        ["prefix"] = p.Prefix,
        ["script_id"] = p.ScriptId,
        ["is_external"] = p.IsExternal ? 1 : 0,
        ["last_use_date"] = p.LastUseDate is { } d ? ApiJson.FormatDate(new DateTimeOffset(DateTime.SpecifyKind(d, DateTimeKind.Utc))) : null,
        ["call_count"] = p.CallCount,
        ["creation_date"] = ApiJson.FormatDate(new DateTimeOffset(DateTime.SpecifyKind(p.CreatedAt, DateTimeKind.Utc))),
        ["script"] = script,
    };
}
