using Npgsql;

namespace Calltracking.Edge.Testing;

/// <summary>
/// A PostgreSQL server for the test run: the one named by <c>EDGE_TEST_POSTGRES</c> (a connection string to a
/// database whose user may create databases), else a throwaway cluster started from Debian's binaries on a free
/// loopback port, with fsync off, stopped when the test process exits. One per test process; each test class gets
/// its own database from <see cref="CreateDatabaseAsync"/>.
/// </summary>
public sealed class PostgresServer
{
    private static readonly Lazy<PostgresServer> Shared = new(Start, LazyThreadSafetyMode.ExecutionAndPublication);
    private static int databaseCounter;

    private PostgresServer(string adminConnectionString) => AdminConnectionString = adminConnectionString;

    public static PostgresServer Instance => Shared.Value;

    /// <summary>A connection string to the server's maintenance database as a superuser.</summary>
    public string AdminConnectionString { get; }

    /// <summary>Creates an empty database with a unique name and returns a connection string to it.</summary>
    public async Task<string> CreateDatabaseAsync(string purpose)
    {
        var name = $"edge_{Sanitize(purpose)}_{Environment.ProcessId}_{Interlocked.Increment(ref databaseCounter)}";
        await using var connection = new NpgsqlConnection(AdminConnectionString);
        await connection.OpenAsync();
        await using (var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{name}\"", connection))
        {
            await drop.ExecuteNonQueryAsync();
        }

        await using (var create = new NpgsqlCommand($"CREATE DATABASE \"{name}\" TEMPLATE template0 ENCODING 'UTF8'", connection))
        {
            await create.ExecuteNonQueryAsync();
        }

        return new NpgsqlConnectionStringBuilder(AdminConnectionString) { Database = name, Pooling = true }.ConnectionString;
    }

    private static string Sanitize(string purpose)
    {
        var chars = purpose.ToLowerInvariant().Where(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9')).Take(24).ToArray();
        return chars.Length == 0 ? "t" : new string(chars);
    }

    private static PostgresServer Start()
    {
        var fromEnvironment = Environment.GetEnvironmentVariable("EDGE_TEST_POSTGRES");
        if (!string.IsNullOrWhiteSpace(fromEnvironment))
        {
            return new PostgresServer(fromEnvironment);
        }

        var binDir = Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql").OrderByDescending(d => d, StringComparer.Ordinal).Select(d => Path.Combine(d, "bin")).FirstOrDefault(Directory.Exists)
            : null;
        var initdb = ExternalTool.Require("initdb", "postgresql", binDir is null ? [] : [Path.Combine(binDir, "initdb")]);
        var pgCtl = ExternalTool.Require("pg_ctl", "postgresql", binDir is null ? [] : [Path.Combine(binDir, "pg_ctl")]);

        var root = Path.Combine(Path.GetTempPath(), $"edge-test-pg-{Environment.ProcessId}-{Guid.NewGuid():N}");
        var dataDir = Path.Combine(root, "data");
        Directory.CreateDirectory(root);
        // initdb refuses to run as root, so as root the cluster belongs to the postgres user.
        var runAs = ExternalTool.IsRoot ? "postgres" : null;
        if (runAs is not null)
        {
            ExternalTool.Run("/bin/chown", [runAs, root], TimeSpan.FromSeconds(10));
        }

        ExternalTool.Run(initdb, ["-D", dataDir, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync"], TimeSpan.FromSeconds(120), runAs);
        var port = FreePort.Tcp();
        var options = $"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300";
        ExternalTool.Run(pgCtl, ["-D", dataDir, "-l", Path.Combine(root, "pg.log"), "-w", "-t", "60", "-o", options, "start"], TimeSpan.FromSeconds(90), runAs);

        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try
            {
                ExternalTool.Run(pgCtl, ["-D", dataDir, "-m", "immediate", "-w", "stop"], TimeSpan.FromSeconds(30), runAs);
                Directory.Delete(root, recursive: true);
            }
            catch (Exception)
            {
                // The process is exiting; a leftover temp cluster is harmless.
            }
        };

        return new PostgresServer($"Host=127.0.0.1;Port={port};Username=postgres;Database=postgres;Pooling=true");
    }
}
