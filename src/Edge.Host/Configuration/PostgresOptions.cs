namespace Calltracking.Edge.Host.Configuration;

/// <summary>Section <c>Postgres</c>: the catalogue and call history database.</summary>
public sealed class PostgresOptions
{
    public const string Section = "Postgres";

    /// <summary>Npgsql connection string (<c>Postgres__ConnectionString</c>).</summary>
    public string ConnectionString { get; set; } = string.Empty;

    /// <summary>Apply pending schema migrations when the edge starts (<c>Postgres__MigrateAtStart</c>).</summary>
    public bool MigrateAtStart { get; set; } = true;
}
