using System.Buffers;
using System.Collections.Concurrent;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using Calltracking.Edge.Sip.Messages;
using Microsoft.Extensions.Logging;

namespace Calltracking.Edge.Sip.Transport;

/// <summary>
/// SIP over TCP (RFC 3261 §18.3): connections read through System.IO.Pipelines and framed by Content-Length; CRLF
/// keep-alives (RFC 5626 §3.5.1) answered; idle connections closed; a cap on connections and on message size.
/// Connections are kept by remote address so responses and in-dialog requests reuse them, and opened on demand
/// for requests to a peer with none.
/// </summary>
public sealed partial class TcpSipTransport : IAsyncDisposable
{
    private readonly Socket listener;
    private readonly ISipMessageSink sink;
    private readonly ILogger logger;
    private readonly int maxMessageSize;
    private readonly int maxConnections;
    private readonly TimeSpan idleTimeout;
    private readonly CancellationTokenSource stop = new();
    private readonly ConcurrentDictionary<IPEndPoint, Connection> connections = new();
    private Task? acceptLoop;

    public TcpSipTransport(IPEndPoint listen, ISipMessageSink sink, ILogger logger, int maxMessageSize, int maxConnections, TimeSpan idleTimeout)
    {
        this.sink = sink;
        this.logger = logger;
        this.maxMessageSize = maxMessageSize;
        this.maxConnections = maxConnections;
        this.idleTimeout = idleTimeout;
        listener = new Socket(listen.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        listener.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        listener.Bind(listen);
        listener.Listen(512);
        LocalEndPoint = (IPEndPoint)listener.LocalEndPoint!;
    }

    public IPEndPoint LocalEndPoint { get; }

    public int ConnectionCount => connections.Count;

    public void Start() => acceptLoop = Task.Run(AcceptLoopAsync);

    private async Task AcceptLoopAsync()
    {
        while (!stop.IsCancellationRequested)
        {
            Socket accepted;
            try
            {
                accepted = await listener.AcceptAsync(stop.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            catch (SocketException)
            {
                continue;
            }

            if (connections.Count >= maxConnections)
            {
                LogConnectionRefused(logger, accepted.RemoteEndPoint?.ToString() ?? string.Empty, maxConnections);
                accepted.Dispose();
                continue;
            }

            accepted.NoDelay = true;
            Track(new Connection(accepted));
        }
    }

    private void Track(Connection connection)
    {
        connections[connection.Remote] = connection;
        _ = ReadLoopAsync(connection);
    }

    private async Task ReadLoopAsync(Connection connection)
    {
        var source = new SipEndPoint(SipTransportKind.Tcp, connection.Remote);
        var reader = PipeReader.Create(connection.Stream, new StreamPipeReaderOptions(bufferSize: 8192, leaveOpen: true));
        using var idle = CancellationTokenSource.CreateLinkedTokenSource(stop.Token);
        try
        {
            while (true)
            {
                idle.CancelAfter(idleTimeout);
                var read = await reader.ReadAsync(idle.Token);
                var buffer = read.Buffer;
                while (TryFrame(ref buffer, out var frame, out var error, out var keepAlive))
                {
                    if (error is not null)
                    {
                        sink.OnFramingError(source, error);
                        return;
                    }

                    if (keepAlive)
                    {
                        // RFC 5626 §3.5.1: a double CRLF ping is answered with a single CRLF pong.
                        await connection.WriteAsync("\r\n"u8.ToArray(), stop.Token);
                        continue;
                    }

                    try
                    {
                        sink.OnMessage(frame, source, datagram: false);
                    }
                    catch (Exception ex)
                    {
                        LogHandlerFailed(logger, ex, source.ToString());
                    }
                }

                reader.AdvanceTo(buffer.Start, buffer.End);
                if (read.IsCompleted)
                {
                    return;
                }
            }
        }
        catch (OperationCanceledException)
        {
            // idle timeout or shutdown
        }
        catch (IOException)
        {
            // peer reset
        }
        finally
        {
            await reader.CompleteAsync();
            connections.TryRemove(new KeyValuePair<IPEndPoint, Connection>(connection.Remote, connection));
            connection.Dispose();
        }
    }

    /// <summary>Cuts one message (or a keep-alive) off the front of <paramref name="buffer"/>; false when more bytes are needed.</summary>
    private bool TryFrame(ref ReadOnlySequence<byte> buffer, out ReadOnlyMemory<byte> frame, out string? error, out bool keepAlive)
    {
        frame = default;
        error = null;
        keepAlive = false;
        if (buffer.IsEmpty)
        {
            return false;
        }

        var window = buffer.Length > maxMessageSize + 4 ? buffer.Slice(0, maxMessageSize + 4) : buffer;
        var bytes = window.IsSingleSegment ? window.First.Span : window.ToArray();
        if (bytes.Length >= 4 && bytes[..4].SequenceEqual("\r\n\r\n"u8))
        {
            keepAlive = true;
            buffer = buffer.Slice(4);
            return true;
        }

        var length = SipParser.FrameLength(bytes, maxMessageSize, out var leading);
        if (length < 0)
        {
            error = "message too large or Content-Length malformed";
            return true;
        }

        if (length == 0)
        {
            if (leading > 0 && leading == bytes.Length)
            {
                buffer = buffer.Slice(leading);
            }

            return false;
        }

        frame = bytes.Slice(leading, length).ToArray();
        buffer = buffer.Slice(leading + length);
        return true;
    }

    /// <summary>Sends over the connection to <paramref name="remote"/>, opening one when there is none.</summary>
    public async ValueTask<bool> SendAsync(IPEndPoint remote, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        try
        {
            if (!connections.TryGetValue(remote, out var connection))
            {
                var socket = new Socket(remote.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                timeout.CancelAfter(TimeSpan.FromSeconds(5));
                await socket.ConnectAsync(remote, timeout.Token);
                connection = new Connection(socket);
                Track(connection);
            }

            await connection.WriteAsync(data, cancellationToken);
            return true;
        }
        catch (Exception ex) when (ex is SocketException or IOException or OperationCanceledException or ObjectDisposedException)
        {
            LogSendFailed(logger, ex, remote);
            return false;
        }
    }

    private int disposed;

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref disposed, 1) == 1)
        {
            return;
        }

        await stop.CancelAsync();
        listener.Dispose();
        foreach (var connection in connections.Values)
        {
            connection.Dispose();
        }

        if (acceptLoop is not null)
        {
            await acceptLoop.ConfigureAwait(false);
        }

        stop.Dispose();
    }

    private sealed class Connection(Socket socket) : IDisposable
    {
        private readonly SemaphoreSlim writeGate = new(1, 1);

        public IPEndPoint Remote { get; } = (IPEndPoint)socket.RemoteEndPoint!;

        public NetworkStream Stream { get; } = new(socket, ownsSocket: true);

        public async ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
        {
            await writeGate.WaitAsync(cancellationToken);
            try
            {
                await Stream.WriteAsync(data, cancellationToken);
            }
            finally
            {
                writeGate.Release();
            }
        }

        public void Dispose()
        {
            Stream.Dispose();
            writeGate.Dispose();
        }
    }

    [LoggerMessage(EventId = 3101, Level = LogLevel.Warning, Message = "TCP connection from {Remote} refused: {Max} connections open")]
    private static partial void LogConnectionRefused(ILogger logger, string remote, int max);

    [LoggerMessage(EventId = 3102, Level = LogLevel.Error, Message = "SIP handler failed for a message from {Remote}")]
    private static partial void LogHandlerFailed(ILogger logger, Exception exception, string remote);

    [LoggerMessage(EventId = 3103, Level = LogLevel.Debug, Message = "TCP send to {Remote} failed")]
    private static partial void LogSendFailed(ILogger logger, Exception exception, IPEndPoint remote);
}
