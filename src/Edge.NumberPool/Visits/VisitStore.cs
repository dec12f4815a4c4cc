using System.Globalization;
using System.Net;
using Dapper;
using Npgsql;

namespace Calltracking.Edge.NumberPool.Visits;

/// <summary>Visits in PostgreSQL (the record) — their hot fields also go to Redis for call time.</summary>
public sealed class VisitStore(NpgsqlDataSource dataSource)
{
    public static readonly string[] Fields =
        ["marker", "source", "referrer", "landing_page", "utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content", "city", "country", "domain", "user_agent", "google_client_id"];

    public async Task<bool> ProjectExistsAsync(long projectId, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteScalarAsync<bool>(new CommandDefinition("SELECT EXISTS (SELECT 1 FROM projects WHERE id = @projectId)", new { projectId }, cancellationToken: cancellationToken));
    }

    public async Task<long> CreateAsync(long projectId, IReadOnlyDictionary<string, string?> fields, IPAddress? ip, CancellationToken cancellationToken)
    {
        var parameters = new DynamicParameters();
        parameters.Add("projectId", projectId);
        // Dapper has no mapping for IPAddress: the text form, cast by PostgreSQL.
        parameters.Add("ip", ip?.ToString());
        foreach (var field in Fields)
        {
            parameters.Add(field, fields.TryGetValue(field, out var value) ? value : null);
        }

        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            $"INSERT INTO visits (project_id, ip, {string.Join(", ", Fields)}) VALUES (@projectId, @ip::inet, {string.Join(", ", Fields.Select(f => "@" + f))}) RETURNING id",
            parameters, cancellationToken: cancellationToken));
    }

    public async Task<Dictionary<string, string?>?> GetAsync(long projectId, long visitId, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync(new CommandDefinition(
            $"SELECT {string.Join(", ", Fields)} FROM visits WHERE id = @visitId AND project_id = @projectId", new { projectId, visitId }, cancellationToken: cancellationToken));
        if (row is null)
        {
            return null;
        }

        var values = (IDictionary<string, object?>)row;
        return Fields.ToDictionary(f => f, f => values[f] as string, StringComparer.Ordinal);
    }

    public static string IdText(long id) => id.ToString(CultureInfo.InvariantCulture);
}
