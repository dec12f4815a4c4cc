using System.Text.Json;
using Calltracking.Edge.NumberPool.Leases;
using Calltracking.Shared.Json;
using Calltracking.Shared.Phones;

namespace Calltracking.Edge.NumberPool.Catalogue;

/// <summary>
/// A script create/update body, read field by field so every mistake is reported with its JSON path. Fields that
/// are absent stay null (update leaves them as they are).
/// </summary>
public sealed class ScriptInput
{
    public long? Id { get; private set; }
    public string? Name { get; private set; }
    public bool? IsEnabled { get; private set; }
    public string? CalltrackingType { get; private set; }
    public string? StaticSource { get; private set; }
    public bool StaticSourceGiven { get; private set; }
    public string? CssSelector { get; private set; }
    public string? PhoneFormat { get; private set; }
    public string? RedirectType { get; private set; }
    public string? RedirectValue { get; private set; }
    public string? SipTrunkPostfix { get; private set; }
    public string? Segments { get; private set; }
    public bool SegmentsGiven { get; private set; }
    public int? TargetCallTime { get; private set; }
    public string? Integration { get; private set; }
    public int? LeaseGraceSeconds { get; private set; }
    public int? LeaseMaxAgeSeconds { get; private set; }
    public string? ExhaustedPolicy { get; private set; }
    public string? FallbackPhone { get; private set; }
    public int? RingTimeoutSeconds { get; private set; }
    public decimal? CallCost { get; private set; }
    public IReadOnlyList<string>? ReplaceableNumbers { get; private set; }

    public static ScriptInput Parse(JsonElement body, bool update)
    {
        if (body.ValueKind != JsonValueKind.Object)
        {
            throw new ApiValidationException("body", "must be a JSON object");
        }

        var input = new ScriptInput();
        if (update)
        {
            input.Id = Json.RequiredLong(body, "id");
        }

        input.Name = Json.OptionalString(body, "name", 200);
        input.IsEnabled = Json.OptionalFlag(body, "is_enabled");
        if (body.TryGetProperty("options", out var options) && options.ValueKind != JsonValueKind.Null)
        {
            if (options.ValueKind != JsonValueKind.Object)
            {
                throw new ApiValidationException("options", "must be an object");
            }

            input.ParseOptions(options);
        }

        if (body.TryGetProperty("integration", out var integration) && integration.ValueKind != JsonValueKind.Null)
        {
            if (integration.ValueKind != JsonValueKind.Object)
            {
                throw new ApiValidationException("integration", "must be an object");
            }

            foreach (var hook in new[] { "webhook", "webhook_start" })
            {
                if (integration.TryGetProperty(hook, out var w) && w.ValueKind == JsonValueKind.Object && w.TryGetProperty("url", out var url)
                    && url.ValueKind == JsonValueKind.String && url.GetString()!.Length > 2048)
                {
                    throw new ApiValidationException($"integration.{hook}.url", "must be at most 2048 characters");
                }
            }

            input.Integration = integration.GetRawText();
        }

        if (body.TryGetProperty("replaceable_numbers", out var numbers) && numbers.ValueKind != JsonValueKind.Null)
        {
            input.ReplaceableNumbers = ParseNumbers(numbers, "replaceable_numbers");
        }
        else if (!update)
        {
            input.ReplaceableNumbers = [];
        }

        return input;
    }

    internal static List<string> ParseNumbers(JsonElement numbers, string field)
    {
        if (numbers.ValueKind != JsonValueKind.Array || numbers.GetArrayLength() > 10_000)
        {
            throw new ApiValidationException(field, "must be an array of phone numbers (at most 10000)");
        }

        var list = new List<string>();
        var i = 0;
        foreach (var n in numbers.EnumerateArray())
        {
            var text = n.ValueKind switch
            {
                JsonValueKind.String => n.GetString()!,
                JsonValueKind.Number => n.GetRawText(),
                _ => throw new ApiValidationException($"{field}[{i}]", "must be a phone number"),
            };
            if (!PhoneNumber.TryNormalize(text, true, out var normalized, out var error))
            {
                throw new ApiValidationException($"{field}[{i}]", $"'{text}' is not a phone number: {error}");
            }

            if (!list.Contains(normalized))
            {
                list.Add(normalized);
            }

            i++;
        }

        return list;
    }

    private void ParseOptions(JsonElement options)
    {
        CalltrackingType = Json.OptionalString(options, "calltracking_type", 16, "options.calltracking_type");
        if (CalltrackingType is not (null or "dynamic" or "static"))
        {
            throw new ApiValidationException("options.calltracking_type", "must be \"dynamic\" or \"static\"");
        }

        if (options.TryGetProperty("static_source", out var staticSource))
        {
            StaticSourceGiven = true;
            StaticSource = staticSource.ValueKind == JsonValueKind.Null ? null : Json.OptionalString(options, "static_source", 200, "options.static_source");
        }

        if (options.TryGetProperty("css_selector", out var css) && css.ValueKind != JsonValueKind.Null)
        {
            if (css.ValueKind != JsonValueKind.Array || css.EnumerateArray().Any(e => e.ValueKind != JsonValueKind.String))
            {
                throw new ApiValidationException("options.css_selector", "must be an array of strings");
            }

            CssSelector = css.GetRawText();
        }

        PhoneFormat = Json.OptionalString(options, "phone_format", 64, "options.phone_format");
        if (PhoneFormat is not null && !Shared.Phones.PhoneFormat.TryParse(PhoneFormat, out _, out var formatError))
        {
            throw new ApiValidationException("options.phone_format", formatError!);
        }

        if (options.TryGetProperty("segments", out var segments))
        {
            SegmentsGiven = true;
            if (segments.ValueKind != JsonValueKind.Null)
            {
                try
                {
                    SegmentMatcher.Parser.Parse(segments);
                }
                catch (ApiValidationException ex)
                {
                    throw new ApiValidationException("options." + ex.Field.Replace("filters", "segments", StringComparison.Ordinal), ex.Message[(ex.Field.Length + 2)..]);
                }

                Segments = segments.GetRawText();
            }
        }

        TargetCallTime = Json.OptionalInt(options, "target_call_time", 0, 86400, "options.target_call_time");
        LeaseGraceSeconds = Json.OptionalInt(options, "lease_grace_seconds", 10, 86400, "options.lease_grace_seconds");
        LeaseMaxAgeSeconds = Json.OptionalInt(options, "lease_max_age_seconds", 60, 604800, "options.lease_max_age_seconds");
        RingTimeoutSeconds = Json.OptionalInt(options, "ring_timeout_seconds", 5, 600, "options.ring_timeout_seconds");
        ExhaustedPolicy = Json.OptionalString(options, "exhausted_policy", 16, "options.exhausted_policy");
        if (ExhaustedPolicy is not (null or "share" or "fallback"))
        {
            throw new ApiValidationException("options.exhausted_policy", "must be \"share\" or \"fallback\"");
        }

        var fallback = Json.OptionalString(options, "fallback_phone", 32, "options.fallback_phone");
        if (fallback is not null)
        {
            FallbackPhone = PhoneNumber.TryNormalize(fallback, true, out var normalized, out var error)
                ? normalized
                : throw new ApiValidationException("options.fallback_phone", $"'{fallback}' is not a phone number: {error}");
        }

        if (options.TryGetProperty("call_cost", out var cost) && cost.ValueKind != JsonValueKind.Null)
        {
            CallCost = cost.ValueKind == JsonValueKind.Number && cost.TryGetDecimal(out var c) && c >= 0 && c < 1_000_000
                ? c
                : throw new ApiValidationException("options.call_cost", "must be a non-negative number");
        }

        if (options.TryGetProperty("redirect", out var redirect) && redirect.ValueKind != JsonValueKind.Null)
        {
            if (redirect.ValueKind != JsonValueKind.Object)
            {
                throw new ApiValidationException("options.redirect", "must be an object with type and value");
            }

            RedirectType = Json.OptionalString(redirect, "type", 16, "options.redirect.type") ?? throw new ApiValidationException("options.redirect.type", "is required");
            var value = Json.OptionalString(redirect, "value", 256, "options.redirect.value") ?? throw new ApiValidationException("options.redirect.value", "is required");
            RedirectValue = RedirectType switch
            {
                "phone" => PhoneNumber.TryNormalize(value, true, out var number, out var error) ? number : throw new ApiValidationException("options.redirect.value", $"'{value}' is not a phone number: {error}"),
                "sip" => RedirectTarget.TryNormalizeSipUri(value, out var uri) ? uri : throw new ApiValidationException("options.redirect.value", $"'{value}' is not a SIP address (user@host or sip:user@host)"),
                "sip_trunk" => value.Length is >= 8 and <= 64 && !value.Any(char.IsControl) ? value : throw new ApiValidationException("options.redirect.value", "the SIP account password must be 8 to 64 characters"),
                _ => throw new ApiValidationException("options.redirect.type", "must be \"phone\", \"sip\" or \"sip_trunk\""),
            };
            SipTrunkPostfix = Json.OptionalString(redirect, "sip_trunk_postfix", 32, "options.redirect.sip_trunk_postfix");
            if (SipTrunkPostfix is not null && !SipTrunkPostfix.All(char.IsAsciiLetterOrDigit))
            {
                throw new ApiValidationException("options.redirect.sip_trunk_postfix", "may hold only letters and digits");
            }
        }
    }
}
