using System.Globalization;
using System.Text.Json;
using Calltracking.Shared.Json;

namespace Calltracking.Shared.Filters;

/// <summary>
/// Parses the list endpoints' <c>filters</c> (a list of <c>[field, operator, value]</c>, or <c>{"and"|"or": [...]}</c>
/// nested to any depth) against a whitelist of fields. Every error names the JSON path and the culprit.
/// </summary>
public sealed class FilterParser(IReadOnlyDictionary<string, FilterField> fields)
{
    public const int MaxDepth = 8;
    public const int MaxConditions = 100;
    public const int MaxInValues = 1000;

    private int conditions;

    public static FilterParser For(params FilterField[] fields) =>
        new(fields.ToDictionary(f => f.Name, StringComparer.Ordinal));

    public IReadOnlyDictionary<string, FilterField> Fields => fields;

    public FilterNode? Parse(JsonElement? filters)
    {
        conditions = 0;
        if (filters is null || filters.Value.ValueKind is JsonValueKind.Null or JsonValueKind.Undefined)
        {
            return null;
        }

        return ParseNode(filters.Value, "filters", 0, topLevel: true);
    }

    private FilterNode ParseNode(JsonElement element, string path, int depth, bool topLevel = false)
    {
        if (depth > MaxDepth)
        {
            throw new ApiValidationException(path, $"filters are nested deeper than {MaxDepth} levels");
        }

        if (element.ValueKind == JsonValueKind.Object)
        {
            var properties = element.EnumerateObject().ToList();
            if (properties.Count != 1 || properties[0].Name.ToLowerInvariant() is not ("and" or "or"))
            {
                throw new ApiValidationException(path, "a filter group must be {\"and\": [...]} or {\"or\": [...]}");
            }

            var isOr = properties[0].Name.Equals("or", StringComparison.OrdinalIgnoreCase);
            var list = properties[0].Value;
            if (list.ValueKind != JsonValueKind.Array)
            {
                throw new ApiValidationException($"{path}.{properties[0].Name}", "must be an array of filters");
            }

            return new FilterGroup(isOr, list.EnumerateArray().Select((child, i) => ParseNode(child, $"{path}.{properties[0].Name}[{i}]", depth + 1)).ToList());
        }

        if (element.ValueKind != JsonValueKind.Array)
        {
            throw new ApiValidationException(path, "must be an array or an {\"and\"|\"or\": [...]} object");
        }

        var items = element.EnumerateArray().ToList();
        var isCondition = items.Count is 2 or 3 && items[0].ValueKind == JsonValueKind.String && items[1].ValueKind == JsonValueKind.String;
        if (isCondition && !(topLevel && items.Count == 3 && items[0].ValueKind == JsonValueKind.Array))
        {
            return ParseCondition(items, path);
        }

        return new FilterGroup(false, items.Select((child, i) => ParseNode(child, $"{path}[{i}]", depth + 1)).ToList());
    }

    private FilterCondition ParseCondition(List<JsonElement> items, string path)
    {
        if (++conditions > MaxConditions)
        {
            throw new ApiValidationException(path, $"at most {MaxConditions} conditions are allowed");
        }

        var name = items[0].GetString()!;
        if (!fields.TryGetValue(name, out var field))
        {
            throw new ApiValidationException(path, $"unknown filter field '{name}'; allowed: {string.Join(", ", fields.Keys.Order(StringComparer.Ordinal))}");
        }

        var op = items[1].GetString()!.ToLowerInvariant() switch
        {
            "=" => FilterOperator.Equal,
            "!=" or "<>" => FilterOperator.NotEqual,
            ">" => FilterOperator.Greater,
            "<" => FilterOperator.Less,
            ">=" => FilterOperator.GreaterOrEqual,
            "<=" => FilterOperator.LessOrEqual,
            "in" => FilterOperator.In,
            "not_in" => FilterOperator.NotIn,
            "like" => FilterOperator.Like,
            "like%" => FilterOperator.LikePrefix,
            "not_like" => FilterOperator.NotLike,
            "not_like%" => FilterOperator.NotLikePrefix,
            "null" => FilterOperator.Null,
            var other => throw new ApiValidationException(path, $"unknown filter operator '{other}' for field '{name}'"),
        };

        if (items.Count != 3)
        {
            throw new ApiValidationException(path, $"filter on '{name}' needs a value: [field, operator, value]");
        }

        var value = items[2];
        switch (op)
        {
            case FilterOperator.In or FilterOperator.NotIn:
                if (value.ValueKind != JsonValueKind.Array || value.GetArrayLength() is 0 or > MaxInValues)
                {
                    throw new ApiValidationException(path, $"'{items[1].GetString()}' on '{name}' takes a non-empty array of at most {MaxInValues} values");
                }

                return new FilterCondition(field, op, value.EnumerateArray().Select(v => Convert(field, v, path)).ToArray());
            case FilterOperator.Null:
                var flag = value.ValueKind switch
                {
                    JsonValueKind.Number when value.TryGetInt32(out var n) && n is 0 or 1 => n,
                    JsonValueKind.String when value.GetString() is "0" or "1" => value.GetString() == "1" ? 1 : 0,
                    JsonValueKind.True => 1,
                    JsonValueKind.False => 0,
                    _ => throw new ApiValidationException(path, $"'null' on '{name}' takes 0 or 1"),
                };
                return new FilterCondition(field, op, flag == 1);
            case FilterOperator.Like or FilterOperator.LikePrefix or FilterOperator.NotLike or FilterOperator.NotLikePrefix:
                if (field.Type != FilterValueType.String || value.ValueKind is not (JsonValueKind.String or JsonValueKind.Number))
                {
                    throw new ApiValidationException(path, $"'{items[1].GetString()}' applies to text fields with a text value; '{name}' is {field.Type.ToString().ToLowerInvariant()}");
                }

                return new FilterCondition(field, op, value.ValueKind == JsonValueKind.String ? value.GetString() : value.GetRawText());
            default:
                return new FilterCondition(field, op, Convert(field, value, path));
        }
    }

    private static object? Convert(FilterField field, JsonElement value, string path)
    {
        if (value.ValueKind == JsonValueKind.Null)
        {
            throw new ApiValidationException(path, $"use the 'null' operator to test '{field.Name}' for null");
        }

        var text = value.ValueKind == JsonValueKind.String ? value.GetString()! : value.GetRawText();
        object? converted = field.Type switch
        {
            FilterValueType.String => value.ValueKind is JsonValueKind.String or JsonValueKind.Number ? text : null,
            FilterValueType.Integer => long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l) ? l : null,
            FilterValueType.Decimal => decimal.TryParse(text, NumberStyles.Number, CultureInfo.InvariantCulture, out var d) ? d : null,
            FilterValueType.DateTime => ApiJson.TryParseDate(text, out var t) ? t.UtcDateTime : null,
            FilterValueType.Boolean => text switch { "1" or "true" => true, "0" or "false" => false, _ => null },
            _ => null,
        };
        return converted ?? throw new ApiValidationException(path, $"'{text}' is not a valid {field.Type.ToString().ToLowerInvariant()} for '{field.Name}'");
    }
}
