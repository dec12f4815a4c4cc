using System.Text.Json.Nodes;
using Calltracking.Shared.Json;

namespace Calltracking.Edge.NumberPool.Catalogue;

/// <summary>Scripts and phones in the shapes of the call-tracking API reference.</summary>
public static class CatalogueViews
{
    /// <summary>What a script's <c>accuracy</c> and <c>needed_phone_count</c> are made of (see the README's definitions).</summary>
    /// <param name="Calls">Calls to the script's numbers in the last 7 days.</param>
    /// <param name="Exclusive">Of those, calls attributed to the one visit that held the number alone.</param>
    /// <param name="PeakDemand">The most visits that wanted a number at once in the last 7 days, shared and fallback hand-outs included.</param>
    public sealed record ScriptStats(long Calls, long Exclusive, long? PeakDemand)
    {
        public static ScriptStats None { get; } = new(0, 0, null);

        /// <summary>Percent of the last 7 days' calls attributed exclusively; null when there were none.</summary>
        public int? Accuracy => Calls > 0 ? (int)Math.Round(100.0 * Exclusive / Calls, MidpointRounding.AwayFromZero) : null;

        /// <summary>Numbers needed for every visit to have its own: the peak concurrent demand; null without data.</summary>
        public long? NeededPhoneCount => PeakDemand;
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
