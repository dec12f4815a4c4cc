using System.Text.Json;
using Calltracking.Shared.Json;

namespace Calltracking.Edge.NumberPool.Catalogue;

/// <summary>Typed reads of request fields that fail with the field's path.</summary>
internal static class Json
{
    public static long RequiredLong(JsonElement body, string name, string? path = null)
    {
        if (!body.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            throw new ApiValidationException(path ?? name, "is required");
        }

        return value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var n) && n > 0
            ? n
            : value.ValueKind == JsonValueKind.String && long.TryParse(value.GetString(), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var s) && s > 0
                ? s
                : throw new ApiValidationException(path ?? name, "must be a positive integer");
    }

    public static string? OptionalString(JsonElement body, string name, int maxLength, string? path = null)
    {
        if (!body.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (value.ValueKind != JsonValueKind.String)
        {
            throw new ApiValidationException(path ?? name, "must be a string");
        }

        var text = value.GetString()!;
        return text.Length <= maxLength ? text : throw new ApiValidationException(path ?? name, $"must be at most {maxLength} characters");
    }

    public static bool? OptionalFlag(JsonElement body, string name, string? path = null)
    {
        if (!body.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        return value.ValueKind switch
        {
            JsonValueKind.Number when value.TryGetInt32(out var n) && n is 0 or 1 => n == 1,
            JsonValueKind.String when value.GetString() is "0" or "1" => value.GetString() == "1",
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw new ApiValidationException(path ?? name, "must be 0 or 1"),
        };
    }

    public static int? OptionalInt(JsonElement body, string name, int min, int max, string? path = null)
    {
        if (!body.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        return value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var n) && n >= min && n <= max
            ? n
            : throw new ApiValidationException(path ?? name, $"must be an integer between {min} and {max}");
    }
}
