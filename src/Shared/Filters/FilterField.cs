namespace Calltracking.Shared.Filters;

public enum FilterValueType
{
    String,
    Integer,
    Decimal,
    DateTime,
    Boolean,
}

/// <summary>A field a list endpoint lets clients filter and sort by: its API name, its SQL expression, its type.</summary>
public sealed record FilterField(string Name, string Sql, FilterValueType Type);

/// <summary>A parameter of compiled SQL: name (without '@') and a typed value.</summary>
public sealed record FilterParameter(string Name, object? Value);

/// <summary>A WHERE fragment with its parameters; values never appear in the text.</summary>
public sealed record FilterSql(string Sql, IReadOnlyList<FilterParameter> Parameters)
{
    public static FilterSql True { get; } = new("TRUE", []);
}
