using System.Globalization;
using System.Text.Json;
using Calltracking.Shared.Json;

namespace Calltracking.Shared.Filters;

/// <summary>The common body of list endpoints: <c>filters</c>, <c>sort</c> (<c>[field, "asc"|"desc"]</c>), <c>limit</c>, <c>offset</c>.</summary>
public sealed record ListQuery(FilterSql Where, string OrderBy, int Limit, int Offset, JsonElement Body)
{
    public const int MaxLimit = 1000;

    /// <summary>Reads a list request body (null or empty means everything, default order).</summary>
    public static ListQuery Parse(JsonElement? body, FilterParser parser, string defaultOrder, int defaultLimit = 100)
    {
        var root = body is { ValueKind: JsonValueKind.Object } b ? b : default;
        JsonElement? filters = root.ValueKind == JsonValueKind.Object && root.TryGetProperty("filters", out var f) ? f : null;
        var where = FilterCompiler.Compile(parser.Parse(filters));

        var orderBy = defaultOrder;
        if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("sort", out var sort) && sort.ValueKind != JsonValueKind.Null)
        {
            if (sort.ValueKind != JsonValueKind.Array || sort.GetArrayLength() is < 1 or > 2 || sort[0].ValueKind != JsonValueKind.String)
            {
                throw new ApiValidationException("sort", "must be [field] or [field, \"asc\"|\"desc\"]");
            }

            var name = sort[0].GetString()!;
            if (!parser.Fields.TryGetValue(name, out var field))
            {
                throw new ApiValidationException("sort", $"unknown sort field '{name}'");
            }

            var direction = sort.GetArrayLength() == 2 ? sort[1].GetString()?.ToLowerInvariant() : "asc";
            if (direction is not ("asc" or "desc"))
            {
                throw new ApiValidationException("sort", "direction must be \"asc\" or \"desc\"");
            }

            orderBy = $"{field.Sql} {direction.ToUpperInvariant()} NULLS LAST";
        }

        var limit = ReadInt(root, "limit", defaultLimit, 0, MaxLimit);
        var offset = ReadInt(root, "offset", 0, 0, int.MaxValue);
        return new ListQuery(where, orderBy, limit, offset, root);
    }

    private static int ReadInt(JsonElement root, string name, int fallback, int min, int max)
    {
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return fallback;
        }

        var ok = value.ValueKind switch
        {
            JsonValueKind.Number => value.TryGetInt32(out var n) ? n : (int?)null,
            JsonValueKind.String => int.TryParse(value.GetString(), NumberStyles.None, CultureInfo.InvariantCulture, out var s) ? s : null,
            _ => null,
        };
        if (ok is not { } result || result < min || result > max)
        {
            throw new ApiValidationException(name, $"must be an integer between {min} and {max}");
        }

        return result;
    }
}
