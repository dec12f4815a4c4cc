using System.Globalization;
using System.Text.Json;
using Calltracking.Shared.Json;

namespace Calltracking.Edge.Recording.Calls;

/// <summary>
/// The <c>period</c> of the dashboard and export requests: <c>{"from": "2016-07-01T00:00:00+0300", "to": …}</c>. The
/// offset of <c>from</c> is the client's time zone: days, hours and weekdays are counted in it.
/// </summary>
public sealed record CallPeriod(DateTimeOffset From, DateTimeOffset To)
{
    public const int MaxDays = 366;

    public TimeSpan Offset => From.Offset;

    public static CallPeriod Parse(JsonElement body)
    {
        if (body.ValueKind != JsonValueKind.Object || !body.TryGetProperty("period", out var period) || period.ValueKind != JsonValueKind.Object)
        {
            throw new ApiValidationException("period", "is required: {\"from\": \"2016-07-01T00:00:00+0300\", \"to\": \"2016-07-31T23:59:59+0300\"}");
        }

        var from = Read(period, "from");
        var to = Read(period, "to");
        if (to < from)
        {
            throw new ApiValidationException("period.to", "must not be before period.from");
        }

        if ((to - from).TotalDays > MaxDays)
        {
            throw new ApiValidationException("period", $"may span at most {MaxDays} days");
        }

        return new CallPeriod(from, to);
    }

    private static DateTimeOffset Read(JsonElement period, string name)
    {
        if (!period.TryGetProperty(name, out var value) || value.ValueKind != JsonValueKind.String)
        {
            throw new ApiValidationException($"period.{name}", "is required, like 2016-07-01T00:00:00+0300");
        }

        var text = value.GetString()!;
        if (!ApiJson.TryParseDate(text, out var parsed))
        {
            throw new ApiValidationException($"period.{name}", $"'{text}' is not a date like 2016-07-01T00:00:00+0300");
        }

        // Keep the client's offset for local days: TryParseDate normalises to UTC, so read the offset from the text.
        var offset = text.Length >= 5 && (text[^5] is '+' or '-') && int.TryParse(text.AsSpan(text.Length - 4), NumberStyles.None, CultureInfo.InvariantCulture, out var hhmm)
            ? TimeSpan.FromMinutes(((hhmm / 100 * 60) + (hhmm % 100)) * (text[^5] == '-' ? -1 : 1))
            : TimeSpan.Zero;
        return parsed.ToOffset(offset);
    }
}
