using Dapper;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Calltracking.Edge.Host.Migrations;

/// <summary>
/// Applies pending migrations in version order, each in its own transaction, recording them in
/// <c>schema_migrations</c>. A session-level advisory lock serialises instances that start together, so several
/// edges can run it at once; the loser waits and then finds nothing to do.
/// </summary>
public sealed partial class MigrationRunner(NpgsqlDataSource dataSource, IReadOnlyList<Migration> migrations, ILogger<MigrationRunner> logger)
{
    /// <summary>Arbitrary, fixed advisory-lock key ("CTEDGEMG" as ASCII) reserved for migrations.</summary>
    private const long LockKey = 0x4354454447454D47;

    /// <summary>Applies what is pending; returns the versions applied by this call.</summary>
    public async Task<IReadOnlyList<int>> ApplyAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition("SELECT pg_advisory_lock(@key)", new { key = LockKey }, cancellationToken: cancellationToken));
        try
        {
            await connection.ExecuteAsync(new CommandDefinition(
                """
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    version    integer PRIMARY KEY,
                    name       text NOT NULL,
                    checksum   text NOT NULL,
                    applied_at timestamptz NOT NULL DEFAULT now()
                )
                """,
                cancellationToken: cancellationToken));
            var applied = (await connection.QueryAsync<(int Version, string Name, string Checksum)>(new CommandDefinition(
                "SELECT version, name, checksum FROM schema_migrations", cancellationToken: cancellationToken)))
                .ToDictionary(r => r.Version);

            foreach (var known in applied.Values)
            {
                var migration = migrations.FirstOrDefault(m => m.Version == known.Version);
                if (migration is null)
                {
                    throw new InvalidOperationException(
                        $"the database has migration {known.Version:D4}_{known.Name} which this build does not know; it was written by a newer edge");
                }

                if (migration.Checksum != known.Checksum)
                {
                    throw new InvalidOperationException(
                        $"migration {known.Version:D4}_{known.Name} changed after it was applied (checksum differs); write a new migration instead");
                }
            }

            var done = new List<int>();
            foreach (var migration in migrations.Where(m => !applied.ContainsKey(m.Version)))
            {
                await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
                await connection.ExecuteAsync(new CommandDefinition(migration.Sql, transaction: transaction, cancellationToken: cancellationToken));
                await connection.ExecuteAsync(new CommandDefinition(
                    "INSERT INTO schema_migrations (version, name, checksum) VALUES (@Version, @Name, @Checksum)",
                    new { migration.Version, migration.Name, migration.Checksum },
                    transaction,
                    cancellationToken: cancellationToken));
                await transaction.CommitAsync(cancellationToken);
                LogApplied(migration.Version, migration.Name);
                done.Add(migration.Version);
            }

            return done;
        }
        finally
        {
            await connection.ExecuteAsync("SELECT pg_advisory_unlock(@key)", new { key = LockKey });
        }
    }

    [LoggerMessage(EventId = 1001, Level = LogLevel.Information, Message = "Applied migration {Version:D4}_{Name}")]
    private partial void LogApplied(int version, string name);
}
