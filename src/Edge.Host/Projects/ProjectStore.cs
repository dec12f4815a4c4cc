using Dapper;
using Npgsql;

namespace Calltracking.Edge.Host.Projects;

public sealed record ProjectSummary(long Id, string Name, DateTime CreatedAt, int ActiveKeys);

/// <summary>Projects and their API keys in PostgreSQL.</summary>
public sealed class ProjectStore(NpgsqlDataSource dataSource)
{
    public const int MaxNameLength = 200;

    /// <summary>Creates a project with one API key; returns the id and the key (the only time it is visible).</summary>
    public async Task<(long ProjectId, string ApiKey)> CreateAsync(string name, CancellationToken cancellationToken)
    {
        ValidateName(name);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var id = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            "INSERT INTO projects (name) VALUES (@name) RETURNING id", new { name = name.Trim() }, transaction, cancellationToken: cancellationToken));
        var key = await InsertKeyAsync(connection, transaction, id, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return (id, key);
    }

    public async Task<IReadOnlyList<ProjectSummary>> ListAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<ProjectSummary>(new CommandDefinition(
            """
            SELECT p.id, p.name, p.created_at AS CreatedAt,
                   (SELECT count(*)::int FROM api_keys k WHERE k.project_id = p.id AND k.revoked_at IS NULL) AS ActiveKeys
            FROM projects p ORDER BY p.id
            """,
            cancellationToken: cancellationToken));
        return rows.AsList();
    }

    /// <summary>Issues another key for an existing project; null when the project does not exist.</summary>
    public async Task<string?> IssueKeyAsync(long projectId, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var exists = await connection.ExecuteScalarAsync<bool>(new CommandDefinition(
            "SELECT EXISTS (SELECT 1 FROM projects WHERE id = @projectId)", new { projectId }, transaction, cancellationToken: cancellationToken));
        if (!exists)
        {
            return null;
        }

        var key = await InsertKeyAsync(connection, transaction, projectId, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return key;
    }

    /// <summary>The project a key belongs to, or null for an unknown or revoked key.</summary>
    public async Task<long?> FindProjectByKeyAsync(string key, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteScalarAsync<long?>(new CommandDefinition(
            "SELECT project_id FROM api_keys WHERE key_hash = @hash AND revoked_at IS NULL",
            new { hash = ApiKey.Hash(key) },
            cancellationToken: cancellationToken));
    }

    public static void ValidateName(string name)
    {
        if (string.IsNullOrWhiteSpace(name))
        {
            throw new ArgumentException("project name must not be empty", nameof(name));
        }

        if (name.Trim().Length > MaxNameLength)
        {
            throw new ArgumentException($"project name must be at most {MaxNameLength} characters", nameof(name));
        }
    }

    private static async Task<string> InsertKeyAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, long projectId, CancellationToken cancellationToken)
    {
        var key = ApiKey.Generate();
        await connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO api_keys (project_id, key_hash, key_prefix) VALUES (@projectId, @hash, @prefix)",
            new { projectId, hash = ApiKey.Hash(key), prefix = ApiKey.Prefix(key) },
            transaction,
            cancellationToken: cancellationToken));
        return key;
    }
}
