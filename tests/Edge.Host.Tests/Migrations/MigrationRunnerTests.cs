using Calltracking.Edge.Host.Migrations;
using Calltracking.Edge.Testing;
using Dapper;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Calltracking.Edge.Host.Tests.Migrations;

public sealed class MigrationRunnerTests
{
    private static readonly Migration[] Scripts =
    [
        new(1, "first", "CREATE TABLE a (id int PRIMARY KEY)"),
        new(2, "second", "CREATE TABLE b (id int PRIMARY KEY REFERENCES a (id))"),
        new(150, "module", "INSERT INTO a VALUES (1)"),
    ];

    private static async Task<NpgsqlDataSource> EmptyDatabaseAsync(string name) =>
        NpgsqlDataSource.Create(await PostgresServer.Instance.CreateDatabaseAsync(name));

    [Fact]
    public async Task Applies_in_version_order_and_records_each_once()
    {
        await using var db = await EmptyDatabaseAsync("order");
        var runner = new MigrationRunner(db, MigrationCatalog.Ordered(Scripts.Reverse()), NullLogger<MigrationRunner>.Instance);

        Assert.Equal(new[] { 1, 2, 150 }, await runner.ApplyAsync(CancellationToken.None));
        Assert.Empty(await runner.ApplyAsync(CancellationToken.None));

        await using var connection = await db.OpenConnectionAsync();
        Assert.Equal(new[] { 1, 2, 150 }, (await connection.QueryAsync<int>("SELECT version FROM schema_migrations ORDER BY version")).ToArray());
        Assert.Equal(1, await connection.ExecuteScalarAsync<int>("SELECT count(*) FROM a"));
    }

    [Fact]
    public async Task Concurrent_runners_apply_each_migration_exactly_once()
    {
        await using var db = await EmptyDatabaseAsync("concurrent");
        var runners = Enumerable.Range(0, 4)
            .Select(_ => new MigrationRunner(db, Scripts, NullLogger<MigrationRunner>.Instance).ApplyAsync(CancellationToken.None));

        var results = await Task.WhenAll(runners);

        Assert.Equal(3, results.Sum(r => r.Count));
        await using var connection = await db.OpenConnectionAsync();
        Assert.Equal(1, await connection.ExecuteScalarAsync<int>("SELECT count(*) FROM a"));
    }

    [Fact]
    public async Task A_failing_migration_leaves_nothing_half_applied()
    {
        await using var db = await EmptyDatabaseAsync("failing");
        Migration[] broken = [Scripts[0], new(2, "broken", "CREATE TABLE c (id int); SELECT * FROM no_such_table")];
        var runner = new MigrationRunner(db, broken, NullLogger<MigrationRunner>.Instance);

        await Assert.ThrowsAsync<PostgresException>(() => runner.ApplyAsync(CancellationToken.None));

        await using var connection = await db.OpenConnectionAsync();
        Assert.Equal(new[] { 1 }, (await connection.QueryAsync<int>("SELECT version FROM schema_migrations")).ToArray());
        Assert.False(await connection.ExecuteScalarAsync<bool>("SELECT to_regclass('c') IS NOT NULL"));
    }

    [Fact]
    public async Task A_changed_migration_stops_with_a_message_naming_it()
    {
        await using var db = await EmptyDatabaseAsync("changed");
        await new MigrationRunner(db, Scripts, NullLogger<MigrationRunner>.Instance).ApplyAsync(CancellationToken.None);
        Migration[] edited = [Scripts[0], new(2, "second", "CREATE TABLE b (id bigint)"), Scripts[2]];

        var error = await Assert.ThrowsAsync<InvalidOperationException>(
            () => new MigrationRunner(db, edited, NullLogger<MigrationRunner>.Instance).ApplyAsync(CancellationToken.None));

        Assert.Contains("0002_second", error.Message, StringComparison.Ordinal);
        Assert.Contains("checksum", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_database_from_a_newer_edge_is_refused()
    {
        await using var db = await EmptyDatabaseAsync("newer");
        await new MigrationRunner(db, Scripts, NullLogger<MigrationRunner>.Instance).ApplyAsync(CancellationToken.None);

        var error = await Assert.ThrowsAsync<InvalidOperationException>(
            () => new MigrationRunner(db, Scripts[..2], NullLogger<MigrationRunner>.Instance).ApplyAsync(CancellationToken.None));

        Assert.Contains("0150_module", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Two_scripts_with_one_version_are_rejected()
    {
        var error = Assert.Throws<InvalidOperationException>(() => MigrationCatalog.Ordered([new(7, "x", "SELECT 1"), new(7, "y", "SELECT 2")]));
        Assert.Contains("version 7", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Module_catalogue_holds_the_host_schema_in_its_range()
    {
        var catalogue = MigrationCatalog.FromModules();
        Assert.Contains(catalogue, m => m is { Version: 1, Name: "projects" });
        Assert.Equal(catalogue.Select(m => m.Version).Order(), catalogue.Select(m => m.Version));
    }
}
