using Xunit;
using Calltracking.Edge.Host.Migrations;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Calltracking.Edge.Testing;

/// <summary>
/// Real stores for one test class: a fresh PostgreSQL database with every module's migrations applied, and a
/// Redis of its own. Use as <c>IClassFixture&lt;EdgeStoresFixture&gt;</c>.
/// </summary>
public class EdgeStoresFixture : IAsyncLifetime
{
    private RedisServer? redis;

    public string PostgresConnectionString { get; private set; } = string.Empty;

    public NpgsqlDataSource DataSource { get; private set; } = null!;

    public RedisServer Redis => redis ?? throw new InvalidOperationException("fixture not initialised");

    public virtual async Task InitializeAsync()
    {
        PostgresConnectionString = await PostgresServer.Instance.CreateDatabaseAsync(GetType().Name);
        DataSource = NpgsqlDataSource.Create(PostgresConnectionString);
        await new MigrationRunner(DataSource, MigrationCatalog.FromModules(), NullLogger<MigrationRunner>.Instance).ApplyAsync(CancellationToken.None);
        redis = RedisServer.Start();
    }

    public virtual async Task DisposeAsync()
    {
        redis?.Dispose();
        if (DataSource is not null)
        {
            await DataSource.DisposeAsync();
        }
    }
}
