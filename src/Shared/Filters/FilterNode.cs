namespace Calltracking.Shared.Filters;

/// <summary>The filter language as a typed tree.</summary>
public abstract record FilterNode;

/// <summary><c>{"and": [...]}</c> or <c>{"or": [...]}</c>, or the top-level list (an implicit and).</summary>
public sealed record FilterGroup(bool IsOr, IReadOnlyList<FilterNode> Children) : FilterNode;

/// <summary><c>[field, operator, value]</c>, the value already converted to the field's type.</summary>
public sealed record FilterCondition(FilterField Field, FilterOperator Operator, object? Value) : FilterNode;

public enum FilterOperator
{
    Equal,
    NotEqual,
    Greater,
    Less,
    GreaterOrEqual,
    LessOrEqual,
    In,
    NotIn,
    Like,
    LikePrefix,
    NotLike,
    NotLikePrefix,
    Null,
}
