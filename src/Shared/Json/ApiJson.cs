using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Calltracking.Shared.Json;

/// <summary>
/// JSON as the call-tracking API speaks it: snake_case names, dates as <c>2016-10-12T08:19:23+0000</c> (UTC), nulls
/// written. Reading accepts the reference's request date forms (<c>2016-10-11T21:00:00.000Z</c>,
/// <c>2016-07-01T00:00:00+0300</c>).
/// </summary>
public static class ApiJson
{
    public static JsonSerializerOptions Options { get; } = Create();

    private static JsonSerializerOptions Create()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web)
        {
            PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
            DictionaryKeyPolicy = null,
            DefaultIgnoreCondition = JsonIgnoreCondition.Never,
            NumberHandling = JsonNumberHandling.Strict,
            UnmappedMemberHandling = JsonUnmappedMemberHandling.Skip,
            // API responses are JSON documents, never inlined into HTML: keep "+0000" and non-ASCII names readable.
            Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        };
        options.Converters.Add(new ApiDateConverter());
        options.Converters.Add(new NullableApiDateConverter());
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }

    public static string FormatDate(DateTimeOffset value) =>
        value.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture) + "+0000";

    /// <summary>Parses the API's date forms; false for anything else.</summary>
    public static bool TryParseDate(string? text, out DateTimeOffset value)
    {
        value = default;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        string[] formats = ["yyyy-MM-dd'T'HH:mm:sszzz", "yyyy-MM-dd'T'HH:mm:ss.fffzzz", "yyyy-MM-dd'T'HH:mm:ss'Z'", "yyyy-MM-dd'T'HH:mm:ss.fff'Z'", "yyyy-MM-dd HH:mm:ss", "yyyy-MM-dd"];
        var normalized = text.Trim();
        // "+0300" → "+03:00" so the zzz pattern reads it.
        if (normalized.Length > 5 && (normalized[^5] == '+' || normalized[^5] == '-') && char.IsAsciiDigit(normalized[^1]) && normalized[^3] != ':')
        {
            normalized = normalized[..^2] + ":" + normalized[^2..];
        }

        return DateTimeOffset.TryParseExact(normalized, formats, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out value);
    }

    private sealed class ApiDateConverter : JsonConverter<DateTimeOffset>
    {
        public override DateTimeOffset Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            if (reader.TokenType != JsonTokenType.String || !TryParseDate(reader.GetString(), out var value))
            {
                throw new JsonException("expected a date like 2016-10-12T08:19:23+0000");
            }

            return value;
        }

        public override void Write(Utf8JsonWriter writer, DateTimeOffset value, JsonSerializerOptions options) => writer.WriteStringValue(FormatDate(value));
    }

    private sealed class NullableApiDateConverter : JsonConverter<DateTimeOffset?>
    {
        public override bool HandleNull => true;

        public override DateTimeOffset? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            if (reader.TokenType == JsonTokenType.Null)
            {
                return null;
            }

            if (reader.TokenType != JsonTokenType.String || !TryParseDate(reader.GetString(), out var value))
            {
                throw new JsonException("expected a date like 2016-10-12T08:19:23+0000");
            }

            return value;
        }

        public override void Write(Utf8JsonWriter writer, DateTimeOffset? value, JsonSerializerOptions options)
        {
            if (value is null)
            {
                writer.WriteNullValue();
            }
            else
            {
                writer.WriteStringValue(FormatDate(value.Value));
            }
        }
    }
}
