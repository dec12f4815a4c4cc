using Calltracking.Edge.Host.Storage;
using Calltracking.Edge.Testing;
using Dapper;

namespace Calltracking.Edge.Host.Tests.Storage;

public sealed class DataSourceTests
{
    [Fact]
    public async Task Repeated_statements_are_prepared_on_the_server()
    {
        await using var dataSource = StoreServiceCollectionExtensions.CreateDataSource(await PostgresServer.Instance.CreateDatabaseAsync("autoprepare"));
        await using var connection = await dataSource.OpenConnectionAsync();
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(i, await connection.ExecuteScalarAsync<int>("SELECT @i + 0", new { i }));
        }

        // pg_prepared_statements lists this session's prepared statements: the statement run three times is one of them.
        var prepared = await connection.QueryAsync<string>("SELECT statement FROM pg_prepared_statements");
        Assert.Contains(prepared, s => s.Contains("+ 0", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_connection_string_that_sets_auto_prepare_keeps_its_value()
    {
        var connectionString = await PostgresServer.Instance.CreateDatabaseAsync("noautoprepare") + ";Max Auto Prepare=0";
        await using var dataSource = StoreServiceCollectionExtensions.CreateDataSource(connectionString);
        await using var connection = await dataSource.OpenConnectionAsync();
        for (var i = 0; i < 3; i++)
        {
            await connection.ExecuteScalarAsync<int>("SELECT @i + 0", new { i });
        }

        Assert.Equal(0, await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM pg_prepared_statements"));
    }
}
