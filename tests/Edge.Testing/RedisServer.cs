using System.Diagnostics;
using StackExchange.Redis;

namespace Calltracking.Edge.Testing;

/// <summary>
/// A Redis for one test class: when <c>EDGE_TEST_REDIS</c> is set (host:port), that server with a logical database
/// of its own (flushed first); otherwise a private <c>redis-server</c> from Debian's binary on a free loopback port,
/// without persistence, killed on dispose.
/// </summary>
public sealed class RedisServer : IDisposable
{
    private static int databaseCounter;
    private readonly Process? process;

    private RedisServer(string endpoint, int database, Process? process)
    {
        Endpoint = endpoint;
        Database = database;
        this.process = process;
    }

    /// <summary><c>host:port</c> of the server.</summary>
    public string Endpoint { get; }

    /// <summary>The logical database reserved for the test class.</summary>
    public int Database { get; }

    /// <summary>A StackExchange.Redis configuration string selecting <see cref="Database"/>.</summary>
    public string Configuration => $"{Endpoint},defaultDatabase={Database},abortConnect=false,connectTimeout=2000";

    public static RedisServer Start()
    {
        var fromEnvironment = Environment.GetEnvironmentVariable("EDGE_TEST_REDIS");
        if (!string.IsNullOrWhiteSpace(fromEnvironment))
        {
            var database = 1 + (Interlocked.Increment(ref databaseCounter) % 15);
            using var admin = ConnectionMultiplexer.Connect($"{fromEnvironment},allowAdmin=true");
            admin.GetServer(admin.GetEndPoints()[0]).FlushDatabase(database);
            return new RedisServer(fromEnvironment, database, null);
        }

        return StartPrivate();
    }

    /// <summary>
    /// A private <c>redis-server</c> whatever <c>EDGE_TEST_REDIS</c> says, for tests that stop, restart or configure
    /// the server: on <paramref name="port"/> (a free one when absent), with <paramref name="arguments"/> added (for
    /// example <c>--requirepass</c>).
    /// </summary>
    public static RedisServer StartPrivate(int? port = null, params string[] arguments)
    {
        var binary = ExternalTool.Require("redis-server", "redis-server", "/usr/bin/redis-server");
        var password = arguments.SkipWhile(a => a != "--requirepass").Skip(1).FirstOrDefault();
        for (var attempt = 0; ; attempt++)
        {
            var chosen = port ?? FreePort.Tcp();
            var psi = new ProcessStartInfo(binary)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (var argument in new[] { "--port", chosen.ToString(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--protected-mode", "yes" }.Concat(arguments))
            {
                psi.ArgumentList.Add(argument);
            }

            var server = Process.Start(psi) ?? throw new InvalidOperationException("could not start redis-server");
            server.OutputDataReceived += (_, _) => { };
            server.ErrorDataReceived += (_, _) => { };
            server.BeginOutputReadLine();
            server.BeginErrorReadLine();
            var endpoint = $"127.0.0.1:{chosen}";
            if (WaitForPing(password is null ? endpoint : $"{endpoint},password={password}", server))
            {
                return new RedisServer(endpoint, 0, server);
            }

            server.Kill();
            server.Dispose();
            if (attempt == 3)
            {
                throw new InvalidOperationException($"redis-server did not answer PING on {endpoint}");
            }
        }
    }

    private static bool WaitForPing(string endpoint, Process server)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < deadline && !server.HasExited)
        {
            try
            {
                using var connection = ConnectionMultiplexer.Connect($"{endpoint},abortConnect=true,connectTimeout=2000,syncTimeout=5000");
                connection.GetDatabase().Ping();
                return true;
            }
            catch (Exception ex) when (ex is RedisConnectionException or RedisTimeoutException)
            {
                // Not listening yet, or a loaded machine answered slowly: try again until the deadline.
                Thread.Sleep(50);
            }
        }

        return false;
    }

    public void Dispose()
    {
        if (process is { HasExited: false })
        {
            process.Kill();
            process.WaitForExit(5000);
        }

        process?.Dispose();
    }
}
