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

    [Fact]
    public async Task A_pooled_connection_is_handed_back_without_a_reset_unless_the_connection_string_asks_for_one()
    {
        // A session setting survives the trip through the pool only when nothing resets the connection on close.
        Assert.Equal("off", await SettingAfterReturnAsync(await PostgresServer.Instance.CreateDatabaseAsync("noreset")));
        Assert.Equal("on", await SettingAfterReturnAsync(await PostgresServer.Instance.CreateDatabaseAsync("reset") + ";No Reset On Close=false"));

        static async Task<string> SettingAfterReturnAsync(string connectionString)
        {
            await using var dataSource = StoreServiceCollectionExtensions.CreateDataSource(connectionString + ";Maximum Pool Size=1");
            await using (var first = await dataSource.OpenConnectionAsync())
            {
                await first.ExecuteAsync("SET enable_seqscan = off");
            }

            await using var second = await dataSource.OpenConnectionAsync();
            return (await second.ExecuteScalarAsync<string>("SHOW enable_seqscan"))!;
        }
    }
}
