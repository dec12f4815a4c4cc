using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace Calltracking.Edge.Sip.Transport;

/// <summary>
/// SIP over UDP: one socket and a few receive threads, each blocked in the kernel's receive on it with its own 64 KiB
/// buffer. A datagram is copied once into an exact-size array that the parsed message then owns, and processed on
/// the thread that received it: no event loop, no thread-pool hop and no queue between the socket and the stack.
/// Sends are synchronous too (a UDP send does not wait; the 4 MiB buffer takes bursts), which keeps the socket in
/// blocking mode: an asynchronous operation would put it under the event loop for good. On Linux each datagram
/// comes with the kernel's receive time (<see cref="TimestampedReceive"/>), and the stack is told how long it queued.
/// </summary>
public sealed partial class UdpSipTransport : IAsyncDisposable
{
    private const int MaxAddressesKept = 4096;
    private readonly Socket socket;
    private readonly ISipMessageSink sink;
    private readonly ILogger logger;
    private readonly List<Thread> loops = [];
    // Destinations' socket addresses, made once per peer instead of once per datagram; bounded like the senders'.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<IPEndPoint, SocketAddress> destinations = new();
    private volatile bool stopping;

    public UdpSipTransport(IPEndPoint listen, ISipMessageSink sink, ILogger logger)
    {
        this.sink = sink;
        this.logger = logger;
        socket = new Socket(listen.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        // Large kernel buffers ride out bursts (Kamailio's measurement: 4 MiB is where drops stop at 11k calls/s).
        socket.ReceiveBufferSize = 4 * 1024 * 1024;
        socket.SendBufferSize = 4 * 1024 * 1024;
        socket.Bind(listen);
        LocalEndPoint = (IPEndPoint)socket.LocalEndPoint!;
        Stamped = TimestampedReceive.TryEnable(socket);
    }

    /// <summary>True when datagrams carry the kernel's receive time, so the stack learns how long each one queued.</summary>
    public bool Stamped { get; }

    public IPEndPoint LocalEndPoint { get; }

    public void Start(int loopCount)
    {
        for (var i = 0; i < Math.Max(1, loopCount); i++)
        {
            var thread = new Thread(ReceiveLoop) { IsBackground = true, Name = $"sip-udp-{i}" };
            loops.Add(thread);
            thread.Start();
        }
    }

    private void ReceiveLoop()
    {
        var buffer = GC.AllocateUninitializedArray<byte>(65_536);
        EndPoint any = LocalEndPoint.AddressFamily == AddressFamily.InterNetworkV6 ? new IPEndPoint(IPAddress.IPv6Any, 0) : new IPEndPoint(IPAddress.Any, 0);
        // The sender's address is received into one buffer, and each sender's endpoint is made once per loop: a
        // carrier or PBX sends from the same address all day, so its IPEndPoint (and the address text written into
        // Via received=) are not made again for every datagram. Bounded: a flood of new senders clears it.
        var address = new SocketAddress(LocalEndPoint.AddressFamily);
        var senders = new Dictionary<SocketAddress, SipEndPoint>();
        var failures = 0;
        while (!stopping)
        {
            int received;
            var queued = TimeSpan.Zero;
            try
            {
                received = Stamped
                    ? TimestampedReceive.Receive(socket, buffer, address, out queued)
                    : socket.ReceiveFrom(buffer, SocketFlags.None, address);
                failures = 0;
            }
            catch (ObjectDisposedException)
            {
                break;
            }
            catch (SocketException ex) when (ex.SocketErrorCode is SocketError.ConnectionReset or SocketError.MessageSize or SocketError.NetworkReset)
            {
                // ICMP port unreachable from an earlier send, or an oversized datagram: not fatal for the listener.
                continue;
            }
            catch (SocketException) when (stopping)
            {
                break;
            }
            catch (SocketException ex)
            {
                // Anything else is logged and the thread goes on receiving; an error that repeats without end stops
                // this thread instead of spinning on it (the others keep the listener up).
                LogReceiveFailed(logger, ex.SocketErrorCode);
                if (++failures >= 1000)
                {
                    break;
                }

                continue;
            }

            if (received == 0)
            {
                continue; // keep-alive, or the wake-up sent at stop
            }

            if (!senders.TryGetValue(address, out var source))
            {
                if (senders.Count >= MaxAddressesKept)
                {
                    senders.Clear();
                }

                var key = new SocketAddress(address.Family, address.Size);
                address.Buffer.Span[..address.Size].CopyTo(key.Buffer.Span);
                source = new SipEndPoint(SipTransportKind.Udp, (IPEndPoint)any.Create(key));
                _ = source.Address.Address.ToString(); // made once, kept by the address
                senders[key] = source;
            }

            var data = buffer.AsSpan(0, received).ToArray();
            try
            {
                sink.OnMessage(data, source, datagram: true, queued);
            }
            catch (Exception ex)
            {
                LogHandlerFailed(logger, ex, source.Address.ToString());
            }
        }
    }

    public ValueTask SendAsync(IPEndPoint remote, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        if (!destinations.TryGetValue(remote, out var address))
        {
            if (destinations.Count >= MaxAddressesKept)
            {
                destinations.Clear();
            }

            address = destinations[remote] = remote.Serialize();
        }

        try
        {
            socket.SendTo(data.Span, SocketFlags.None, address);
        }
        catch (SocketException ex)
        {
            LogSendFailed(logger, remote, ex.SocketErrorCode);
        }
        catch (ObjectDisposedException)
        {
            // Stopping: the datagram is dropped, as a lost one would be.
        }

        return ValueTask.CompletedTask;
    }

    private int disposed;

    public ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref disposed, 1) == 1)
        {
            return ValueTask.CompletedTask;
        }

        // Each receive thread is blocked in the kernel: an empty datagram to the socket itself wakes one, which then
        // sees the stop. Closing the socket is the fallback for a thread that still does not end.
        stopping = true;
        var self = new IPEndPoint(LocalEndPoint.Address.Equals(IPAddress.Any) ? IPAddress.Loopback
            : LocalEndPoint.Address.Equals(IPAddress.IPv6Any) ? IPAddress.IPv6Loopback : LocalEndPoint.Address, LocalEndPoint.Port);
        using (var waker = new Socket(self.AddressFamily, SocketType.Dgram, ProtocolType.Udp))
        {
            foreach (var _ in loops)
            {
                waker.SendTo([], self);
            }
        }

        foreach (var loop in loops)
        {
            loop.Join(TimeSpan.FromSeconds(2));
        }

        socket.Dispose();
        foreach (var loop in loops)
        {
            loop.Join(TimeSpan.FromSeconds(2));
        }

        return ValueTask.CompletedTask;
    }

    [LoggerMessage(EventId = 3001, Level = LogLevel.Error, Message = "SIP handler failed for a datagram from {Remote}")]
    private static partial void LogHandlerFailed(ILogger logger, Exception exception, string remote);

    [LoggerMessage(EventId = 3003, Level = LogLevel.Warning, Message = "UDP receive failed: {Error}")]
    private static partial void LogReceiveFailed(ILogger logger, SocketError error);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Debug, Message = "UDP send to {Remote} failed: {Error}")]
    private static partial void LogSendFailed(ILogger logger, IPEndPoint remote, SocketError error);
}
