using System.Net.Sockets;
using System.Text;
using Calltracking.Edge.NumberPool.Leases;
using Calltracking.Edge.NumberPool.Redis;
using Calltracking.Edge.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using StackExchange.Redis;

namespace Calltracking.Edge.NumberPool.Tests.Redis;

/// <summary>The pipelined script connection against real redis-server processes of its own (stopped, restarted, paused).</summary>
public sealed class RedisScriptConnectionTests
{
    private static readonly HashedLuaScript Echo = new("return {KEYS[1], ARGV[1], ARGV[2], ARGV[3], redis.call('INCR', KEYS[1] .. ':n')}");
    private static readonly HashedLuaScript Failing = new("return redis.error_reply('ERR pool is broken')");
    private static readonly HashedLuaScript Store = new("redis.call('SET', KEYS[1], ARGV[1]) return 1");

    private static RedisScriptConnection Connect(RedisServer server, string? password = null, int database = 0, int responseMs = 2000) =>
        new(new RedisScriptEndpoint("127.0.0.1", int.Parse(server.Endpoint.Split(':')[1], System.Globalization.CultureInfo.InvariantCulture), password, database, TimeSpan.FromSeconds(2), TimeSpan.FromMilliseconds(responseMs)),
            NullLogger<RedisScriptConnection>.Instance);

    /// <summary>An inline command on a plain socket (what the test does to the server besides the connection under test).</summary>
    private static async Task<string> RawAsync(RedisServer server, string command)
    {
        using var client = new TcpClient();
        var parts = server.Endpoint.Split(':');
        await client.ConnectAsync(parts[0], int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture));
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.UTF8.GetBytes(command + "\r\n"));
        var buffer = new byte[256];
        var read = await stream.ReadAsync(buffer);
        return Encoding.UTF8.GetString(buffer, 0, read).TrimEnd();
    }

    private static async Task UntilAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting until {what}");
            await Task.Delay(20);
        }
    }

    [Fact]
    public async Task Runs_a_script_with_its_key_and_arguments_as_sent()
    {
        using var server = RedisServer.StartPrivate();
        using var connection = Connect(server);
        Assert.True(connection.IsConnected);

        var reply = (await connection.EvalAsync(Echo, "ct:{p1}:x", "héllo wörld", -1234567890123L, string.Empty)).AsArray();
        Assert.Equal(["ct:{p1}:x", "héllo wörld", "-1234567890123", string.Empty, "1"], reply.Select(r => r.AsString()));
    }

    [Fact]
    public async Task Many_calls_in_flight_each_get_their_own_answer()
    {
        using var server = RedisServer.StartPrivate();
        using var connection = Connect(server);
        var calls = Enumerable.Range(0, 5000).Select(i => Task.Run(() => connection.EvalAsync(Echo, "k" + (i % 7), i, "v" + i, i * -3L))).ToArray();
        var replies = await Task.WhenAll(calls);
        for (var i = 0; i < replies.Length; i++)
        {
            var items = replies[i].AsArray();
            Assert.Equal(("k" + (i % 7), i, "v" + i, i * -3L), (items[0].AsString(), items[1].AsInt64(), items[2].AsString(), items[3].AsInt64()));
        }
    }

    [Fact]
    public async Task A_script_Redis_forgot_is_loaded_and_the_call_goes_through()
    {
        using var server = RedisServer.StartPrivate();
        using var connection = Connect(server);
        await connection.EvalAsync(Echo, "a", 1, 2, 3);
        Assert.Equal("+OK", await RawAsync(server, "SCRIPT FLUSH"));

        var again = await Task.WhenAll(Enumerable.Range(0, 20).Select(i => connection.EvalAsync(Echo, "a", i, 2, 3)));
        Assert.Equal(Enumerable.Range(0, 20).Select(i => (long)i), again.Select(r => r.AsArray()[1].AsInt64()));
        Assert.Equal(1, connection.Connections);
    }

    [Fact]
    public async Task An_error_from_the_script_fails_that_call_only()
    {
        using var server = RedisServer.StartPrivate();
        using var connection = Connect(server);
        var failed = await Assert.ThrowsAsync<RedisScriptException>(() => connection.EvalAsync(Failing, "a"));
        Assert.True(failed.ServerError);
        Assert.Contains("pool is broken", failed.Message, StringComparison.Ordinal);
        Assert.Equal("x", (await connection.EvalAsync(Echo, "a", "x", 2, 3)).AsArray()[1].AsString());
    }

    [Fact]
    public async Task With_Redis_gone_calls_fail_at_once_and_the_connection_comes_back_when_it_returns()
    {
        var server = RedisServer.StartPrivate();
        var port = int.Parse(server.Endpoint.Split(':')[1], System.Globalization.CultureInfo.InvariantCulture);
        using var connection = Connect(server);
        await connection.EvalAsync(Echo, "a", 1, 2, 3);

        server.Dispose();
        await UntilAsync(() => !connection.IsConnected, "the connection sees Redis gone");

        // Failed before it returns: nothing waits on a dead Redis.
        var call = connection.EvalAsync(Echo, "a", 1, 2, 3);
        Assert.True(call.IsFaulted);
        Assert.False(Assert.IsType<RedisScriptException>(call.Exception!.InnerException).ServerError);

        using var restarted = RedisServer.StartPrivate(port);
        var answer = await FirstSuccessAsync(() => connection.EvalAsync(Echo, "b", 7, 2, 3), "calls succeed on the restarted Redis");
        Assert.Equal(7, answer.AsArray()[1].AsInt64());
        // At least one new connection: while the port stood free another test's server may have had it for a moment.
        Assert.True(connection.Connections >= 2, $"{connection.Connections} connections");
    }

    [Fact]
    public async Task A_connect_that_gets_no_answer_is_given_up_after_the_connect_timeout()
    {
        // A listener that never accepts, its queue filled: the kernel drops further SYNs, so a connect hangs as it does
        // towards a host that has gone silent.
        using var listener = new Socket(SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0));
        listener.Listen(0);
        var port = ((System.Net.IPEndPoint)listener.LocalEndPoint!).Port;
        var fillers = new List<Socket>();
        try
        {
            while (true)
            {
                var filler = new Socket(SocketType.Stream, ProtocolType.Tcp);
                fillers.Add(filler);
                using var wait = new CancellationTokenSource(TimeSpan.FromMilliseconds(500));
                try
                {
                    await filler.ConnectAsync(System.Net.IPAddress.Loopback, port, wait.Token);
                }
                catch (OperationCanceledException)
                {
                    break; // the queue is full
                }

                Assert.True(fillers.Count < 64, "the listener's queue never filled");
            }

            var started = System.Diagnostics.Stopwatch.StartNew();
            using var connection = new RedisScriptConnection(
                new RedisScriptEndpoint("127.0.0.1", port, null, 0, TimeSpan.FromMilliseconds(300), TimeSpan.FromSeconds(2)),
                NullLogger<RedisScriptConnection>.Instance);
            Assert.False(connection.IsConnected);
            Assert.True(started.Elapsed < TimeSpan.FromSeconds(10), $"gave up after {started.Elapsed}");

            var call = connection.EvalAsync(Echo, "a", 1, 2, 3);
            Assert.True(call.IsFaulted);
            Assert.False(Assert.IsType<RedisScriptException>(call.Exception!.InnerException).ServerError);
        }
        finally
        {
            fillers.ForEach(f => f.Dispose());
        }
    }

    /// <summary>Calls until one succeeds (each failure starts a reconnection, tried again after its backoff).</summary>
    private static async Task<RespReply> FirstSuccessAsync(Func<Task<RespReply>> call, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            try
            {
                return await call();
            }
            catch (RedisScriptException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(50);
            }
            catch (RedisScriptException ex)
            {
                throw new TimeoutException($"timed out waiting until {what}", ex);
            }
        }
    }

    [Fact]
    public async Task Calls_that_wait_past_the_response_timeout_fail_and_the_connection_is_made_again()
    {
        using var server = RedisServer.StartPrivate();
        using var connection = Connect(server, responseMs: 400);
        await connection.EvalAsync(Echo, "a", 1, 2, 3);

        Assert.Equal("+OK", await RawAsync(server, "CLIENT PAUSE 2500 ALL"));
        var paused = connection.EvalAsync(Echo, "a", 1, 2, 3);
        var failure = await Assert.ThrowsAsync<RedisScriptException>(() => paused);
        Assert.False(failure.ServerError);

        // While Redis stays paused each new connection's calls time out too; once it answers, calls go through again.
        Assert.Equal(5, (await FirstSuccessAsync(() => connection.EvalAsync(Echo, "a", 5, 2, 3), "Redis answers again")).AsArray()[1].AsInt64());
        Assert.True(connection.Connections >= 2);
    }

    [Fact]
    public async Task Idle_longer_than_the_response_timeout_the_connection_stays_up()
    {
        using var server = RedisServer.StartPrivate();
        using var connection = Connect(server, responseMs: 500);
        await connection.EvalAsync(Echo, "a", 1, 2, 3);
        await Task.Delay(2000);
        Assert.Equal(2, (await connection.EvalAsync(Echo, "a", 2, 2, 3)).AsArray()[1].AsInt64());
        Assert.Equal(1, connection.Connections);
    }

    [Fact]
    public async Task Authenticates_and_selects_the_configured_database()
    {
        using var server = RedisServer.StartPrivate(null, "--requirepass", "s3cret pass");
        using (var wrong = Connect(server, password: "wrong"))
        {
            Assert.False(wrong.IsConnected);
            await Assert.ThrowsAsync<RedisScriptException>(() => wrong.EvalAsync(Echo, "a", 1, 2, 3));
        }

        using var connection = Connect(server, password: "s3cret pass", database: 5);
        Assert.True(connection.IsConnected);
        await connection.EvalAsync(Store, "where", "db five");
        using var check = await ConnectionMultiplexer.ConnectAsync($"{server.Endpoint},password=s3cret pass");
        Assert.Equal("db five", (string?)await check.GetDatabase(5).StringGetAsync("where"));
        Assert.False(await check.GetDatabase(0).KeyExistsAsync("where"));
    }

    [Fact]
    public void Reads_the_endpoint_from_the_edge_configuration_and_leaves_what_it_cannot_serve_to_the_multiplexer()
    {
        var endpoint = RedisScriptEndpoint.FromConfiguration("redis.internal:6380,password=pw,defaultDatabase=3,connectTimeout=1500,syncTimeout=2500,abortConnect=false")!;
        Assert.Equal(("redis.internal", 6380, "pw", 3), (endpoint.Host, endpoint.Port, endpoint.Password, endpoint.Database));
        Assert.Equal((TimeSpan.FromMilliseconds(1500), TimeSpan.FromMilliseconds(2500)), (endpoint.ConnectTimeout, endpoint.ResponseTimeout));
        Assert.Equal(6379, RedisScriptEndpoint.FromConfiguration("127.0.0.1")!.Port);
        Assert.Null(RedisScriptEndpoint.FromConfiguration("redis.internal:6380,ssl=true"));
        Assert.Null(RedisScriptEndpoint.FromConfiguration("a:6379,b:6379"));
        Assert.Null(RedisScriptEndpoint.FromConfiguration("a:26379,serviceName=mymaster"));
    }
}
