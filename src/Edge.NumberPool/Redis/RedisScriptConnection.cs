using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Calltracking.Edge.NumberPool.Leases;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace Calltracking.Edge.NumberPool.Redis;

/// <summary>
/// A call of <see cref="RedisScriptConnection"/> failed: no connection, the connection lost, no answer in time, or an
/// error reply (<see cref="ServerError"/>).
/// </summary>
public sealed class RedisScriptException(string message, bool serverError = false, bool timedOut = false) : Exception(message)
{
    /// <summary>Redis answered with an error (the script failed); otherwise Redis was not reachable.</summary>
    public bool ServerError { get; } = serverError;

    /// <summary>The call waited past the response timeout (the connection was dropped for it).</summary>
    public bool TimedOut { get; } = timedOut;
}

/// <summary>Where <see cref="RedisScriptConnection"/> connects and how long it waits.</summary>
public sealed record RedisScriptEndpoint(string Host, int Port, string? Password, int Database, TimeSpan ConnectTimeout, TimeSpan ResponseTimeout)
{
    /// <summary>
    /// The endpoint of a StackExchange.Redis configuration string, or null when this connection cannot serve it: TLS,
    /// several endpoints, or a sentinel service (the multiplexer then runs the scripts too).
    /// </summary>
    public static RedisScriptEndpoint? FromConfiguration(string configuration)
    {
        var options = ConfigurationOptions.Parse(configuration);
        if (options.Ssl || options.EndPoints.Count != 1 || !string.IsNullOrEmpty(options.ServiceName))
        {
            return null;
        }

        var (host, port) = options.EndPoints[0] switch
        {
            DnsEndPoint dns => (dns.Host, dns.Port),
            IPEndPoint ip => (ip.Address.ToString(), ip.Port),
            _ => (string.Empty, 0),
        };
        if (host.Length == 0)
        {
            return null;
        }

        return new RedisScriptEndpoint(host, port == 0 ? 6379 : port, options.Password, options.DefaultDatabase ?? 0,
            TimeSpan.FromMilliseconds(options.ConnectTimeout), TimeSpan.FromMilliseconds(Math.Max(options.SyncTimeout, 1000)));
    }
}

/// <summary>
/// One pipelined connection to Redis for the hot Lua scripts: the lease a page view asks for and the attribution every
/// INVITE waits on. A caller writes its EVALSHA to the socket itself (with any others queued meanwhile, in one send),
/// and a thread blocked in the kernel reads the answers and completes the callers' tasks in order, their continuations running inline on it. So a round trip is
/// two wake-ups (Redis, then this reader) where the general client took four (its writer thread, the socket engine,
/// its completion worker, the caller). A script Redis does not know (restart, <c>SCRIPT FLUSH</c>) is loaded and the
/// call sent again, once. Without a connection a call fails at once (the caller routes without attribution) and a
/// reconnection starts, retried with backoff while calls keep asking; a connection whose oldest request waits longer
/// than <see cref="RedisScriptEndpoint.ResponseTimeout"/> is dropped and its calls fail.
/// </summary>
/// <remarks>
/// Continuations run on the reader thread: code awaiting these tasks must not block synchronously (it does not: every
/// caller is async to the end). Redis buffers its replies without limit, so a continuation that writes a new call
/// while the reader is busy cannot wedge the connection.
/// </remarks>
public sealed partial class RedisScriptConnection : IDisposable
{
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(5);
    private static readonly byte[] EvalSha = "EVALSHA"u8.ToArray();
    private static readonly byte[] One = "1"u8.ToArray(); // the key count of every call

    private readonly RedisScriptEndpoint endpoint;
    private readonly ILogger<RedisScriptConnection> logger;
    private volatile Link? current;
    private int connecting;
    private long nextAttempt;
    private TimeSpan backoff = TimeSpan.FromMilliseconds(250);
    private volatile bool disposed;

    /// <summary>Connects (waiting up to the connect timeout, as the multiplexer does at start); a failure only logs, and calls reconnect.</summary>
    public RedisScriptConnection(RedisScriptEndpoint endpoint, ILogger<RedisScriptConnection> logger)
    {
        this.endpoint = endpoint;
        this.logger = logger;
        connecting = 1;
        ConnectAsync().GetAwaiter().GetResult();
    }

    /// <summary>True while a connection is up.</summary>
    public bool IsConnected => current is { Dead: false };

    /// <summary>Connections made since start (the first included).</summary>
    public int Connections { get; private set; }

    /// <summary>EVALSHA of <paramref name="script"/> with one key; NOSCRIPT is answered by loading the script and sending the call again.</summary>
    internal Task<RespReply> EvalAsync(HashedLuaScript script, string key, params ReadOnlySpan<RespArg> args)
    {
        var link = current;
        if (link is null || link.Dead)
        {
            RequestReconnect();
            return Task.FromException<RespReply>(Unavailable("no connection to Redis"));
        }

        var command = RespArg.Encode([EvalSha, script.ShaHex, One, key], args, out var length);
        var pending = new Pending(script, command, length);
        link.Send(pending);
        return pending.Task;
    }

    public void Dispose()
    {
        disposed = true;
        current?.Kill("disposed");
    }

    private static RedisScriptException Unavailable(string message, bool timedOut = false) => new(message, timedOut: timedOut);

    private void RequestReconnect()
    {
        if (disposed || Stopwatch.GetTimestamp() < Volatile.Read(ref nextAttempt) || Interlocked.CompareExchange(ref connecting, 1, 0) != 0)
        {
            return;
        }

        _ = Task.Run(ConnectAsync);
    }

    /// <summary>One connection attempt (the caller holds <see cref="connecting"/>): connect, AUTH, SELECT, then serve.</summary>
    private async Task ConnectAsync()
    {
        Socket? socket = null;
        Link? link = null;
        try
        {
            socket = await Task.Run(Connect).ConfigureAwait(false);

            link = new Link(this, socket, endpoint.ResponseTimeout);
            socket = null;
            link.Start();
            if (!string.IsNullOrEmpty(endpoint.Password))
            {
                await link.CommandAsync(["AUTH", endpoint.Password]).WaitAsync(endpoint.ResponseTimeout).ConfigureAwait(false);
            }

            if (endpoint.Database != 0)
            {
                await link.CommandAsync(["SELECT", endpoint.Database.ToString(System.Globalization.CultureInfo.InvariantCulture)]).WaitAsync(endpoint.ResponseTimeout).ConfigureAwait(false);
            }

            if (disposed)
            {
                link.Kill("disposed");
                return;
            }

            current = link;
            Connections++;
            backoff = TimeSpan.FromMilliseconds(250);
            Volatile.Write(ref nextAttempt, 0);
            LogConnected(logger, endpoint.Host, endpoint.Port);
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException or TimeoutException or RedisScriptException or IOException)
        {
            socket?.Dispose();
            link?.Kill("not ready: " + ex.Message);
            Volatile.Write(ref nextAttempt, Stopwatch.GetTimestamp() + (long)(backoff.TotalSeconds * Stopwatch.Frequency));
            LogConnectFailed(logger, endpoint.Host, endpoint.Port, backoff.TotalMilliseconds, ex.Message);
            backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, MaxBackoff.Ticks));
        }
        finally
        {
            Volatile.Write(ref connecting, 0);
        }
    }

    /// <summary>
    /// A blocking connect, given up after the connect timeout. The socket never sees an asynchronous operation, so it
    /// stays a blocking socket: the reader thread then sleeps in <c>recv</c> itself and the kernel wakes it when an
    /// answer arrives. After any asynchronous operation .NET makes a socket non-blocking for good, and a synchronous
    /// receive waits for the runtime's epoll thread to signal it: one more thread woken per answer. Measured with the
    /// lease benchmark (<c>lease 10 resolve</c>), paced at 2,000/s: an empty script's p50 went from 0.088–0.099 ms to
    /// 0.054–0.075 ms, resolve()'s from 0.112–0.151 ms to 0.092–0.107 ms.
    /// </summary>
    private Socket Connect()
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        var outcome = 0; // 1 connected, 2 given up
        using (new Timer(_ =>
        {
            if (Interlocked.CompareExchange(ref outcome, 2, 0) == 0)
            {
                socket.Dispose();
            }
        }, null, endpoint.ConnectTimeout, Timeout.InfiniteTimeSpan))
        {
            try
            {
                socket.Connect(new DnsEndPoint(endpoint.Host, endpoint.Port));
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
                socket.Dispose();
                throw Volatile.Read(ref outcome) == 2 ? GaveUp() : ex;
            }

            if (Interlocked.CompareExchange(ref outcome, 1, 0) != 0)
            {
                throw GaveUp();
            }
        }

        return socket;

        TimeoutException GaveUp() => new($"no connection within {endpoint.ConnectTimeout.TotalMilliseconds:F0} ms");
    }

    private void OnLost(Link link, string reason)
    {
        if (Interlocked.CompareExchange(ref current, null, link) == link && !disposed)
        {
            LogLost(logger, endpoint.Host, endpoint.Port, reason);
            RequestReconnect();
        }
    }

    [LoggerMessage(EventId = 4101, Level = LogLevel.Information, Message = "Lease scripts connected to Redis at {Host}:{Port}")]
    private static partial void LogConnected(ILogger logger, string host, int port);

    [LoggerMessage(EventId = 4102, Level = LogLevel.Warning, Message = "Lease scripts could not connect to Redis at {Host}:{Port} (next try in {BackoffMs} ms): {Error}")]
    private static partial void LogConnectFailed(ILogger logger, string host, int port, double backoffMs, string error);

    [LoggerMessage(EventId = 4103, Level = LogLevel.Warning, Message = "Lease scripts lost Redis at {Host}:{Port}: {Reason}")]
    private static partial void LogLost(ILogger logger, string host, int port, string reason);

    /// <summary>A call in flight: its encoded command (kept for a NOSCRIPT resend) and the task its caller awaits.</summary>
    private sealed class Pending(HashedLuaScript? script, byte[] command, int length) : TaskCompletionSource<RespReply>
    {
        public HashedLuaScript? Script { get; } = script;

        public byte[]? Command { get; private set; } = command;

        public int Length { get; } = length;

        public long SentAt { get; set; }

        public bool Resent { get; set; }

        public void Complete(RespReply reply)
        {
            Release();
            if (reply.Kind == RespKind.Error)
            {
                TrySetException(new RedisScriptException(reply.Text ?? "ERR", serverError: true));
            }
            else
            {
                TrySetResult(reply);
            }
        }

        public void Fail(Exception error)
        {
            Release();
            TrySetException(error);
        }

        private void Release()
        {
            if (Command is { } command)
            {
                Command = null;
                ArrayPool<byte>.Shared.Return(command);
            }
        }
    }

    /// <summary>One TCP connection: callers' calls are written in batches under <see cref="writeGate"/>, a reader thread answers them in order.</summary>
    private sealed class Link(RedisScriptConnection owner, Socket socket, TimeSpan responseTimeout)
    {
        private const int MaxBatchBytes = 64 * 1024;
        private readonly ConcurrentQueue<Pending> pending = new();
        private readonly ConcurrentQueue<Pending> outbox = new();
        private readonly Lock writeGate = new();
        private byte[] sendBuffer = new byte[4096];
        private volatile bool dead;

        public bool Dead => dead;

        public void Start()
        {
            socket.SendTimeout = (int)responseTimeout.TotalMilliseconds;
            socket.ReceiveTimeout = (int)Math.Max(responseTimeout.TotalMilliseconds / 2, 100);
            new Thread(ReadLoop) { IsBackground = true, Name = "redis-scripts" }.Start();
        }

        public Task<RespReply> CommandAsync(params ReadOnlySpan<RespArg> parts)
        {
            var command = RespArg.Encode(parts, [], out var length);
            var call = new Pending(null, command, length);
            Send(call);
            return call.Task;
        }

        /// <summary>
        /// Queues the call and writes it. Whoever holds the write lock writes every call queued meanwhile in one send
        /// (up to <see cref="MaxBatchBytes"/>), in the order they move to <see cref="pending"/>, which is the order
        /// Redis answers; a caller that finds the lock taken leaves its call to the holder, which looks at the queue
        /// again after letting go. Under load many calls share a system call on both ends, as with the general
        /// client's writer, without its thread.
        /// </summary>
        public void Send(Pending call)
        {
            outbox.Enqueue(call);
            while (!outbox.IsEmpty)
            {
                if (!writeGate.TryEnter())
                {
                    return;
                }

                string? failure = null;
                try
                {
                    if (dead)
                    {
                        failure = "connection to Redis lost";
                    }
                    else
                    {
                        var length = 0;
                        var now = Stopwatch.GetTimestamp();
                        while (length < MaxBatchBytes && outbox.TryDequeue(out var next))
                        {
                            if (sendBuffer.Length - length < next.Length)
                            {
                                Array.Resize(ref sendBuffer, Math.Max(sendBuffer.Length * 2, length + next.Length));
                            }

                            next.Command.AsSpan(0, next.Length).CopyTo(sendBuffer.AsSpan(length));
                            length += next.Length;
                            next.SentAt = now;
                            pending.Enqueue(next);
                        }

                        var bytes = sendBuffer.AsSpan(0, length);
                        while (!bytes.IsEmpty)
                        {
                            var sent = socket.Send(bytes, SocketFlags.None, out var error);
                            if (error != SocketError.Success || sent <= 0)
                            {
                                failure = $"send failed ({error})";
                                break;
                            }

                            bytes = bytes[sent..];
                        }
                    }
                }
                finally
                {
                    writeGate.Exit();
                }

                if (failure is not null)
                {
                    // Kill fails what was written (pending) and what waits (the outbox); once dead, the same here.
                    Kill(failure);
                    FailQueued(failure);
                    return;
                }
            }
        }

        /// <summary>Ends the connection: nothing more is written, every call in flight fails, the owner reconnects.</summary>
        public void Kill(string reason, bool timedOut = false)
        {
            lock (writeGate)
            {
                if (dead)
                {
                    return;
                }

                dead = true;
            }

            socket.Dispose();
            FailAll(reason, timedOut);
            owner.OnLost(this, reason);
        }

        private void FailAll(string reason, bool timedOut)
        {
            while (pending.TryDequeue(out var call))
            {
                call.Fail(Unavailable($"connection to Redis lost: {reason}", timedOut));
            }

            FailQueued(reason);
        }

        private void FailQueued(string reason)
        {
            while (outbox.TryDequeue(out var call))
            {
                call.Fail(Unavailable($"connection to Redis lost: {reason}"));
            }
        }

        private void ReadLoop()
        {
            var buffer = new byte[64 * 1024];
            int start = 0, end = 0;
            while (!dead)
            {
                if (end == buffer.Length)
                {
                    if (start > 0)
                    {
                        buffer.AsSpan(start, end - start).CopyTo(buffer);
                        end -= start;
                        start = 0;
                    }
                    else if (buffer.Length < RespParser.MaxBulkLength * 2)
                    {
                        Array.Resize(ref buffer, buffer.Length * 2);
                    }
                    else
                    {
                        Kill("reply too large");
                        return;
                    }
                }

                var received = socket.Receive(buffer.AsSpan(end), SocketFlags.None, out var error);
                if (error is SocketError.TimedOut or SocketError.WouldBlock)
                {
                    if (pending.TryPeek(out var oldest) && Stopwatch.GetElapsedTime(oldest.SentAt) > responseTimeout)
                    {
                        Kill($"no answer in {responseTimeout.TotalMilliseconds:F0} ms", timedOut: true);
                        return;
                    }

                    continue;
                }

                if (error != SocketError.Success || received == 0)
                {
                    Kill(received == 0 && error == SocketError.Success ? "closed by Redis" : $"receive failed ({error})");
                    return;
                }

                end += received;
                while (start < end)
                {
                    var status = RespParser.TryParse(buffer.AsSpan(start, end - start), out var reply, out var consumed);
                    if (status == RespParseStatus.Incomplete)
                    {
                        break;
                    }

                    if (status == RespParseStatus.Invalid || !pending.TryDequeue(out var call))
                    {
                        Kill(status == RespParseStatus.Invalid ? "reply is not RESP" : "reply to no request");
                        return;
                    }

                    start += consumed;
                    Deliver(call, reply);
                }

                if (start == end)
                {
                    start = end = 0;
                }
            }
        }

        private void Deliver(Pending call, RespReply reply)
        {
            if (reply.Kind == RespKind.Error && call.Script is { } script && !call.Resent
                && reply.Text is { } text && text.StartsWith("NOSCRIPT", StringComparison.Ordinal))
            {
                // Redis restarted or flushed its scripts: load this one, then the same call again, in that order.
                call.Resent = true;
                var load = CommandAsync(["SCRIPT", "LOAD", script.Text]);
                _ = load.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
                Send(call);
                return;
            }

            call.Complete(reply);
        }
    }
}
