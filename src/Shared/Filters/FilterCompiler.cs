using System.Globalization;
using System.Text;

namespace Calltracking.Shared.Filters;

/// <summary>Compiles a filter tree to a parameterised SQL condition (PostgreSQL). Values only travel as parameters.</summary>
public static class FilterCompiler
{
    public static FilterSql Compile(FilterNode? node, string parameterPrefix = "f")
    {
        if (node is null)
        {
            return FilterSql.True;
        }

        var parameters = new List<FilterParameter>();
        var sql = new StringBuilder();
        Write(node, sql, parameters, parameterPrefix);
        return new FilterSql(sql.ToString(), parameters);
    }

    private static void Write(FilterNode node, StringBuilder sql, List<FilterParameter> parameters, string prefix)
    {
        switch (node)
        {
            case FilterGroup group:
                if (group.Children.Count == 0)
                {
                    sql.Append(group.IsOr ? "FALSE" : "TRUE");
                    return;
                }

                sql.Append('(');
                for (var i = 0; i < group.Children.Count; i++)
                {
                    if (i > 0)
                    {
                        sql.Append(group.IsOr ? " OR " : " AND ");
                    }

                    Write(group.Children[i], sql, parameters, prefix);
                }

                sql.Append(')');
                return;
            case FilterCondition condition:
                WriteCondition(condition, sql, parameters, prefix);
                return;
            default:
                throw new ArgumentOutOfRangeException(nameof(node));
        }
    }

    private static string Add(List<FilterParameter> parameters, string prefix, object? value)
    {
        var name = prefix + parameters.Count.ToString(CultureInfo.InvariantCulture);
        parameters.Add(new FilterParameter(name, value));
        return "@" + name;
    }

    private static void WriteCondition(FilterCondition c, StringBuilder sql, List<FilterParameter> parameters, string prefix)
    {
        var column = c.Field.Sql;
        switch (c.Operator)
        {
            case FilterOperator.Null:
                sql.Append('(').Append(column).Append((bool)c.Value! ? " IS NULL)" : " IS NOT NULL)");
                return;
            case FilterOperator.In or FilterOperator.NotIn:
                // = ANY(@array) keeps one parameter however long the list is.
                var array = ToTypedArray((object?[])c.Value!, c.Field.Type);
                sql.Append(c.Operator == FilterOperator.In ? "(" : "(NOT (").Append(column).Append(" = ANY(").Append(Add(parameters, prefix, array)).Append(c.Operator == FilterOperator.In ? "))" : ")) OR " + column + " IS NULL)");
                return;
            case FilterOperator.Like or FilterOperator.NotLike or FilterOperator.LikePrefix or FilterOperator.NotLikePrefix:
                var escaped = EscapeLike((string)c.Value!);
                var pattern = c.Operator is FilterOperator.LikePrefix or FilterOperator.NotLikePrefix ? escaped + "%" : "%" + escaped + "%";
                var negate = c.Operator is FilterOperator.NotLike or FilterOperator.NotLikePrefix;
                sql.Append('(').Append(column).Append(negate ? " NOT ILIKE " : " ILIKE ").Append(Add(parameters, prefix, pattern)).Append(" ESCAPE '\\'");
                sql.Append(negate ? " OR " + column + " IS NULL)" : ")");
                return;
            default:
                var op = c.Operator switch
                {
                    FilterOperator.Equal => " = ",
                    FilterOperator.NotEqual => " IS DISTINCT FROM ",
                    FilterOperator.Greater => " > ",
                    FilterOperator.Less => " < ",
                    FilterOperator.GreaterOrEqual => " >= ",
                    FilterOperator.LessOrEqual => " <= ",
                    _ => throw new ArgumentOutOfRangeException(nameof(c)),
                };
                sql.Append('(').Append(column).Append(op).Append(Add(parameters, prefix, c.Value)).Append(')');
                return;
        }
    }

    private static object ToTypedArray(object?[] values, FilterValueType type) => type switch
    {
        FilterValueType.String => values.Cast<string>().ToArray(),
        FilterValueType.Integer => values.Cast<long>().ToArray(),
        FilterValueType.Decimal => values.Cast<decimal>().ToArray(),
        FilterValueType.DateTime => values.Cast<DateTime>().ToArray(),
        FilterValueType.Boolean => values.Cast<bool>().ToArray(),
        _ => values,
    };

    private static string EscapeLike(string value) =>
        value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("%", "\\%", StringComparison.Ordinal).Replace("_", "\\_", StringComparison.Ordinal);
}
