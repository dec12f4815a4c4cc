using System.Text.Json;
using Calltracking.Shared.Filters;

namespace Calltracking.Edge.NumberPool.Leases;

/// <summary>
/// A script's <c>segments</c>: the same filter language as the list endpoints, over the visit's traffic fields,
/// evaluated in memory when a visit asks for a number. A list of conditions means all of them; <c>{"or": [...]}</c>
/// any of them; null or empty segments match every visit.
/// </summary>
public static class SegmentMatcher
{
    public static readonly string[] FieldNames =
        ["source", "marker", "utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content", "referrer", "landing_page", "city", "country", "domain"];

    public static FilterParser Parser { get; } = FilterParser.For(FieldNames.Select(f => new FilterField(f, f, FilterValueType.String)).ToArray());

    public static FilterNode? Compile(string? segmentsJson)
    {
        if (string.IsNullOrWhiteSpace(segmentsJson))
        {
            return null;
        }

        using var document = JsonDocument.Parse(segmentsJson);
        return Parser.Parse(document.RootElement.Clone());
    }

    public static bool Matches(FilterNode? node, IReadOnlyDictionary<string, string?> visit) => node switch
    {
        null => true,
        FilterGroup { Children.Count: 0 } => true,
        FilterGroup group => group.IsOr ? group.Children.Any(c => Matches(c, visit)) : group.Children.All(c => Matches(c, visit)),
        FilterCondition condition => Matches(condition, visit.TryGetValue(condition.Field.Name, out var v) ? v : null),
        _ => false,
    };

    private static bool Matches(FilterCondition c, string? value)
    {
        var compare = StringComparison.OrdinalIgnoreCase;
        return c.Operator switch
        {
            FilterOperator.Null => (bool)c.Value! == string.IsNullOrEmpty(value),
            FilterOperator.Equal => string.Equals(value ?? string.Empty, (string)c.Value!, compare),
            FilterOperator.NotEqual => !string.Equals(value ?? string.Empty, (string)c.Value!, compare),
            FilterOperator.In => ((object?[])c.Value!).Any(v => string.Equals(value, (string?)v, compare)),
            FilterOperator.NotIn => !((object?[])c.Value!).Any(v => string.Equals(value, (string?)v, compare)),
            FilterOperator.Like => value is not null && value.Contains((string)c.Value!, compare),
            FilterOperator.LikePrefix => value is not null && value.StartsWith((string)c.Value!, compare),
            FilterOperator.NotLike => value is null || !value.Contains((string)c.Value!, compare),
            FilterOperator.NotLikePrefix => value is null || !value.StartsWith((string)c.Value!, compare),
            FilterOperator.Greater => string.Compare(value, (string)c.Value!, compare) > 0,
            FilterOperator.Less => string.Compare(value, (string)c.Value!, compare) < 0,
            FilterOperator.GreaterOrEqual => string.Compare(value, (string)c.Value!, compare) >= 0,
            FilterOperator.LessOrEqual => string.Compare(value, (string)c.Value!, compare) <= 0,
            _ => false,
        };
    }
}
