using System.Text.Json;
using Calltracking.Shared.Filters;
using Calltracking.Shared.Json;

namespace Calltracking.Shared.Tests.Filters;

public sealed class FilterTests
{
    private static readonly FilterParser Parser = FilterParser.For(
        new FilterField("id", "c.id", FilterValueType.Integer),
        new FilterField("date", "c.started_at", FilterValueType.DateTime),
        new FilterField("status", "c.status", FilterValueType.String),
        new FilterField("marker", "c.marker", FilterValueType.String),
        new FilterField("is_external", "p.is_external", FilterValueType.Boolean),
        new FilterField("cost", "c.cost", FilterValueType.Decimal));

    private static FilterSql Compile(string json) => FilterCompiler.Compile(Parser.Parse(JsonDocument.Parse(json).RootElement));

    [Fact]
    public void A_list_of_conditions_is_an_and()
    {
        var sql = Compile("""[["id", ">", 5], ["status", "=", "ANSWER"]]""");
        Assert.Equal("((c.id > @f0) AND (c.status = @f1))", sql.Sql);
        Assert.Equal([5L, "ANSWER"], sql.Parameters.Select(p => p.Value));
    }

    [Fact]
    public void Nested_and_or_groups_compile_with_parentheses()
    {
        var sql = Compile("""{"and": [["date", ">", "2016-05-21T21:00:00+0000"], {"or": [["marker", "like", "direct"], ["marker", "null", 1]]}]}""");
        Assert.Equal("((c.started_at > @f0) AND ((c.marker ILIKE @f1 ESCAPE '\\') OR (c.marker IS NULL)))", sql.Sql);
        Assert.Equal(new DateTime(2016, 5, 21, 21, 0, 0, DateTimeKind.Utc), sql.Parameters[0].Value);
        Assert.Equal("%direct%", sql.Parameters[1].Value);
    }

    [Theory]
    [InlineData("""[["id", "in", [1, 2, 3]]]""", "((c.id = ANY(@f0)))")]
    [InlineData("""[["status", "not_in", ["BUSY"]]]""", "((NOT (c.status = ANY(@f0)) OR c.status IS NULL))")]
    [InlineData("""[["marker", "like%", "direct_"]]""", "((c.marker ILIKE @f0 ESCAPE '\\'))")]
    [InlineData("""[["marker", "not_like", "x"]]""", "((c.marker NOT ILIKE @f0 ESCAPE '\\' OR c.marker IS NULL))")]
    [InlineData("""[["marker", "null", 0]]""", "((c.marker IS NOT NULL))")]
    [InlineData("""[["is_external", "=", 1]]""", "((p.is_external = @f0))")]
    [InlineData("""[["cost", "<=", "10.5"]]""", "((c.cost <= @f0))")]
    [InlineData("""[["status", "!=", "ANSWER"]]""", "((c.status IS DISTINCT FROM @f0))")]
    [InlineData("""["id", ">=", 3]""", "(c.id >= @f0)")]
    public void Every_operator_compiles_to_parameterised_sql(string json, string expected) => Assert.Equal(expected, Compile(json).Sql);

    [Fact]
    public void Like_wildcards_in_values_are_escaped()
    {
        var sql = Compile("""[["marker", "like%", "50%_off"]]""");
        Assert.Equal("50\\%\\_off%", sql.Parameters[0].Value);
    }

    [Fact]
    public void Values_never_reach_the_sql_text()
    {
        var sql = Compile("""[["status", "=", "x'; DROP TABLE calls; --"]]""");
        Assert.DoesNotContain("DROP", sql.Sql, StringComparison.Ordinal);
        Assert.Equal("x'; DROP TABLE calls; --", sql.Parameters[0].Value);
    }

    [Theory]
    [InlineData("""[["password", "=", "x"]]""", "filters[0]", "unknown filter field 'password'")]
    [InlineData("""[["id", "~", 1]]""", "filters[0]", "unknown filter operator '~'")]
    [InlineData("""[["id", "=", "abc"]]""", "filters[0]", "'abc' is not a valid integer for 'id'")]
    [InlineData("""[["date", ">", "yesterday"]]""", "filters[0]", "not a valid datetime")]
    [InlineData("""[["id", "in", 5]]""", "filters[0]", "non-empty array")]
    [InlineData("""[["id", "in", []]]""", "filters[0]", "non-empty array")]
    [InlineData("""[["marker", "null", 2]]""", "filters[0]", "takes 0 or 1")]
    [InlineData("""[["id", "like", "1"]]""", "filters[0]", "applies to text fields")]
    [InlineData("""[["id", "="]]""", "filters[0]", "needs a value")]
    [InlineData("""{"xor": []}""", "filters", "must be {\"and\"")]
    [InlineData("""{"and": 5}""", "filters.and", "must be an array")]
    [InlineData("""{"and": [["id", "=", 1], {"or": [["nope", "=", 1]]}]}""", "filters.and[1].or[0]", "unknown filter field 'nope'")]
    [InlineData("""5""", "filters", "must be an array")]
    [InlineData("""[["id", "=", null]]""", "filters[0]", "use the 'null' operator")]
    public void Bad_filters_are_errors_naming_the_path_and_culprit(string json, string path, string message)
    {
        var error = Assert.Throws<ApiValidationException>(() => Compile(json));
        Assert.Equal(path, error.Field);
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Too_deep_nesting_is_refused()
    {
        var json = string.Concat(Enumerable.Repeat("{\"and\": [", 12)) + "[\"id\", \"=\", 1]" + string.Concat(Enumerable.Repeat("]}", 12));
        Assert.Throws<ApiValidationException>(() => Compile(json));
    }

    [Fact]
    public void List_query_reads_sort_limit_offset()
    {
        var query = ListQuery.Parse(JsonDocument.Parse("""{"sort": ["date", "desc"], "limit": 5, "offset": 10}""").RootElement, Parser, "c.id");
        Assert.Equal("c.started_at DESC NULLS LAST", query.OrderBy);
        Assert.Equal(5, query.Limit);
        Assert.Equal(10, query.Offset);
    }

    [Theory]
    [InlineData("""{"sort": ["secret", "asc"]}""", "sort")]
    [InlineData("""{"sort": ["id", "sideways"]}""", "sort")]
    [InlineData("""{"limit": -1}""", "limit")]
    [InlineData("""{"limit": 100000}""", "limit")]
    [InlineData("""{"offset": "x"}""", "offset")]
    public void Bad_list_parameters_name_the_field(string json, string field)
    {
        var error = Assert.Throws<ApiValidationException>(() => ListQuery.Parse(JsonDocument.Parse(json).RootElement, Parser, "c.id"));
        Assert.Equal(field, error.Field);
    }
}
