using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using Calltracking.Edge.Sip.Messages;
using Calltracking.Edge.Sip.Transport;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Calltracking.Edge.Sip.Transactions;

/// <summary>
/// The SIP stack: transports below, transactions in the middle, the application (<see cref="ISipRequestHandler"/>)
/// above. A live transaction arms its own timers on the injected <see cref="TimeProvider"/>; once final it leaves a
/// entry in a <see cref="LingerTable"/> (its key and the one message a retransmission gets back, outside the traced
/// heap) for the rest of its timer. Nothing polls.
/// </summary>
public sealed partial class SipStack : ISipMessageSink, IAsyncDisposable
{
    private readonly SipOptions options;
    private readonly ILogger<SipStack> logger;
    private readonly ConcurrentDictionary<string, ServerTransaction> serverTransactions = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, ClientTransaction> clientTransactions = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, ServerTransaction>.AlternateLookup<ReadOnlySpan<char>> serverLookup;
    private readonly ConcurrentDictionary<string, ClientTransaction>.AlternateLookup<ReadOnlySpan<char>> clientLookup;
    private readonly LingerTable lingeringServer;
    private readonly LingerTable lingeringClient;
    private UdpSipTransport? udp;
    private TcpSipTransport? tcp;
    private ISipRequestHandler handler;

    public SipStack(IOptions<SipOptions> options, TimeProvider time, SipMetrics metrics, ILogger<SipStack> logger)
    {
        this.options = options.Value;
        this.logger = logger;
        Time = time;
        Metrics = metrics;
        Timers = new SipTimers(
            TimeSpan.FromMilliseconds(this.options.T1Milliseconds),
            TimeSpan.FromMilliseconds(this.options.T2Milliseconds),
            TimeSpan.FromMilliseconds(this.options.T4Milliseconds));
        handler = new OptionsResponder();
        AdvertisedHostPort = "127.0.0.1:5060"; // until the transports are up
        TimeSpan[] lengths = [Timers.T4, Timers.Timeout64, Timers.TimerD];
        serverLookup = serverTransactions.GetAlternateLookup<ReadOnlySpan<char>>();
        clientLookup = clientTransactions.GetAlternateLookup<ReadOnlySpan<char>>();
        lingeringServer = new LingerTable(time, lengths, metrics.TransactionEnded);
        lingeringClient = new LingerTable(time, lengths, metrics.TransactionEnded);
    }

    public TimeProvider Time { get; }

    public SipMetrics Metrics { get; }

    public SipTimers Timers { get; }

    public string ServerHeader => options.ServerHeader;

    public IPEndPoint? UdpEndPoint => udp?.LocalEndPoint;

    public IPEndPoint? TcpEndPoint => tcp?.LocalEndPoint;

    /// <summary>Server transactions not yet ended: live ones and lingering ones.</summary>
    public int ServerTransactionCount => serverTransactions.Count + lingeringServer.Count;

    /// <summary>Client transactions not yet ended: live ones and lingering ones.</summary>
    public int ClientTransactionCount => clientTransactions.Count + lingeringClient.Count;

    /// <summary>Native memory holding finished transactions' keys and replies (segments in use and spare).</summary>
    public long LingeringBytes => lingeringServer.SegmentBytes + lingeringClient.SegmentBytes;

    /// <summary><c>host:port</c> this edge writes into Via, Contact and Record-Route.</summary>
    public string AdvertisedHostPort
    {
        get;
        [System.Diagnostics.CodeAnalysis.MemberNotNull(nameof(contacts))]
        private set
        {
            field = value;
            contacts = [$"<sip:edge@{value};transport=udp>", $"<sip:edge@{value};transport=tcp>"];
        }
    }

    private string[] contacts;

    /// <summary>This edge's Contact value for a dialog on <paramref name="transport"/> (made once, not per message).</summary>
    public string Contact(SipTransportKind transport) => contacts[transport == SipTransportKind.Tcp ? 1 : 0];

    public void SetHandler(ISipRequestHandler requestHandler) => handler = requestHandler;

    public Task StartAsync()
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                StartTransports();
                break;
            }
            catch (System.Net.Sockets.SocketException ex) when (ex.SocketErrorCode == System.Net.Sockets.SocketError.AddressAlreadyInUse && attempt < 20 && IPEndPoint.Parse(options.UdpListen.Length > 0 ? options.UdpListen : options.TcpListen).Port == 0)
            {
                // The port the system gave UDP is taken on TCP: take another pair.
                udp?.DisposeAsync().AsTask().GetAwaiter().GetResult();
                udp = null;
            }
        }

        var local = udp?.LocalEndPoint ?? tcp!.LocalEndPoint;
        AdvertisedHostPort = options.AdvertisedAddress.Length > 0
            ? (options.AdvertisedAddress.Contains(':', StringComparison.Ordinal) ? options.AdvertisedAddress : $"{options.AdvertisedAddress}:{local.Port.ToString(CultureInfo.InvariantCulture)}")
            : $"{(local.Address.Equals(IPAddress.Any) ? IPAddress.Loopback : local.Address)}:{local.Port.ToString(CultureInfo.InvariantCulture)}";
        LogListening(logger, udp?.LocalEndPoint, tcp?.LocalEndPoint, AdvertisedHostPort);
        return Task.CompletedTask;
    }

    private void StartTransports()
    {
        if (options.UdpListen.Length > 0)
        {
            udp = new UdpSipTransport(IPEndPoint.Parse(options.UdpListen), this, logger);
            udp.Start(options.UdpReceiveLoops > 0 ? options.UdpReceiveLoops : Environment.ProcessorCount);
        }

        if (options.TcpListen.Length > 0)
        {
            var tcpListen = IPEndPoint.Parse(options.TcpListen);
            if (udp is not null && tcpListen.Port == 0)
            {
                // One port for both transports, as carriers expect, when the UDP port was picked by the system.
                tcpListen.Port = udp.LocalEndPoint.Port;
            }

            tcp = new TcpSipTransport(tcpListen, this, logger, options.MaxMessageSize, options.MaxTcpConnections, TimeSpan.FromSeconds(options.TcpIdleTimeoutSeconds));
            tcp.Start();
        }
    }

    public static string NewBranch() => RandomToken(10, ViaHeader.MagicCookie);

    public static string NewTag() => RandomToken(8);

    public static string NewCallId() => RandomToken(16);

    [ThreadStatic]
    private static byte[]? randomPool;

    [ThreadStatic]
    private static int randomUsed;

    /// <summary>
    /// Hex of <paramref name="bytes"/> cryptographically random bytes, taken from a per-thread block that is refilled
    /// 512 bytes at a time: tags, branches and Call-IDs stay unguessable without a call into the system's generator
    /// for each one.
    /// </summary>
    private static string RandomToken(int bytes, string prefix = "")
    {
        var pool = randomPool ??= new byte[512];
        if (randomUsed == 0 || randomUsed + bytes > pool.Length)
        {
            RandomNumberGenerator.Fill(pool);
            randomUsed = 0;
        }

        var token = string.Create(prefix.Length + (bytes * 2), (prefix, pool, randomUsed, bytes), static (chars, state) =>
        {
            state.prefix.CopyTo(chars);
            Convert.TryToHexStringLower(state.pool.AsSpan(state.randomUsed, state.bytes), chars[state.prefix.Length..], out _);
        });
        pool.AsSpan(randomUsed, bytes).Clear(); // a token's bytes are used once
        randomUsed += bytes;
        return token;
    }

    /// <summary>This edge's Via for a new request on <paramref name="transport"/>.</summary>
    public string LocalVia(SipTransportKind transport, string branch) =>
        $"SIP/2.0/{(transport == SipTransportKind.Tcp ? "TCP" : "UDP")} {AdvertisedHostPort};branch={branch};rport";

    public void OnMessage(ReadOnlyMemory<byte> data, SipEndPoint source, bool datagram) => OnMessage(data, source, datagram, TimeSpan.Zero);

    public void OnMessage(ReadOnlyMemory<byte> data, SipEndPoint source, bool datagram, TimeSpan queued)
    {
        var message = SipParser.Parse(data, datagram, out var error, options.MaxMessageSize);
        if (message is null)
        {
            OnParseError(error!, source);
            return;
        }

        message.Queued = queued;
        if (queued > TimeSpan.Zero)
        {
            Metrics.Queued(queued);
        }

        if (message.IsRequest)
        {
            OnRequest(message, source);
        }
        else
        {
            OnResponse(message, source);
        }
    }

    public void OnFramingError(SipEndPoint source, string reason)
    {
        Metrics.ParseError("tcp", "too_large");
        LogFramingError(logger, source, reason);
    }

    private void OnParseError(SipParseError error, SipEndPoint source)
    {
        Metrics.ParseError(source.Transport == SipTransportKind.Tcp ? "tcp" : "udp", error.MetricReason);
        if (!error.CanRespond)
        {
            LogDropped(logger, source, error.Reason);
            return;
        }

        var request = error.Partial!;
        request.NoteReceivedFrom(source.Address);
        Metrics.Rejected("bad_request");
        var response = SipMessageWriter.ResponseTo(request, error.StatusCode, error.Reason, NewTag()).Add(SipHeaderNames.Server, ServerHeader);
        if (error.StatusCode == 400)
        {
            response.Add(SipHeaderNames.Warning, $"399 {AdvertisedHostPort} \"{error.Reason}\"");
        }

        var target = ResponseTargetFor(request, source);
        Metrics.Response("out", request.Method, error.StatusCode);
        _ = SendAsync(target, response.ToArray());
    }

    [SkipLocalsInit] // the key buffer is written before it is read
    private void OnRequest(SipMessage request, SipEndPoint source)
    {
        // §18.2.1 and RFC 3581: note where the request really came from, for the responses (written into their Via
        // from the received bytes; the Via list, if someone reads it, carries received and rport).
        request.NoteReceivedFrom(source.Address);

        // The key is written in place from the received top Via for a plain one, so an ACK, a retransmission or an
        // in-dialog request builds no Via and no string to find its transaction; anything else is parsed.
        Span<char> buffer = stackalloc char[TransactionKey.MaxWrittenLength];
        string? keyText = null;
        scoped ReadOnlySpan<char> key;
        if (TransactionKey.TryWriteServer(request, buffer, out var written))
        {
            key = buffer[..written];
        }
        else
        {
            key = keyText = TransactionKey.ForServer(request);
        }

        if (serverLookup.TryGetValue(key, out var existing))
        {
            if (request.Method == "ACK" && !existing.OnRequestRetransmission(request))
            {
                Metrics.Request("in", "ACK");
                handler.OnAck(request, source);
                return;
            }

            if (request.Method != "ACK")
            {
                existing.OnRequestRetransmission(request);
            }

            return;
        }

        if (lingeringServer.TryGet(key, withReply: request.Method != "ACK", out var lingering, out var reply))
        {
            OnLingeringRequest(lingering, reply, request, source);
            return;
        }

        Metrics.Request("in", request.Method);
        if (request.Method == "ACK")
        {
            handler.OnAck(request, source);
            return;
        }

        keyText ??= key.ToString();
        var transaction = new ServerTransaction(this, keyText, request, source, ResponseTargetFor(request, source));
        if (!serverTransactions.TryAdd(keyText, transaction))
        {
            transaction.Dispose();
            return;
        }

        Metrics.TransactionStarted(transaction.Kind);
        if (request.Method == "CANCEL")
        {
            OnCancel(transaction);
            return;
        }

        handler.OnRequest(transaction);
    }

    /// <summary>A request that matches a finished transaction: the ACK of a 2xx goes on, retransmissions get the final response again.</summary>
    private void OnLingeringRequest(LingerRecord lingering, byte[]? reply, SipMessage request, SipEndPoint source)
    {
        if (request.Method == "ACK")
        {
            if (lingering.PassesAck)
            {
                Metrics.Request("in", "ACK");
                handler.OnAck(request, source);
            }

            return;
        }

        Metrics.Retransmission("in", request.Method);
        if (reply is not null)
        {
            _ = SendAsync(lingering.Target, reply);
        }
    }

    /// <summary>§9.2: a CANCEL gets 200 from its own transaction; the INVITE it matches is told, and answers 487.</summary>
    private void OnCancel(ServerTransaction cancel)
    {
        var inviteKey = TransactionKey.ForCancelledInvite(cancel.Request);
        if (lingeringServer.Contains(inviteKey))
        {
            // The INVITE has its final response already: the CANCEL has no effect but is still answered (§9.2).
            _ = cancel.RespondAsync(200, "OK");
            return;
        }

        if (serverTransactions.TryGetValue(inviteKey, out var invite) && invite.IsInvite)
        {
            _ = cancel.RespondAsync(200, "OK");
            if (invite.State == TransactionState.Proceeding && !invite.IsCancelled)
            {
                invite.RaiseCancelled();
            }

            return;
        }

        _ = cancel.RespondAsync(481, "Call/Transaction Does Not Exist");
    }

    [SkipLocalsInit] // the key buffer is written before it is read
    private void OnResponse(SipMessage response, SipEndPoint source)
    {
        Metrics.Response("in", response.CSeqMethod, response.StatusCode);
        Span<char> buffer = stackalloc char[TransactionKey.MaxWrittenLength];
        ReadOnlySpan<char> key = TransactionKey.TryWriteResponse(response, buffer, out var written) ? buffer[..written] : TransactionKey.ForResponse(response).AsSpan();
        if (clientLookup.TryGetValue(key, out var transaction))
        {
            transaction.OnResponse(response);
            return;
        }

        if (lingeringClient.TryGet(key, withReply: response.StatusCode >= 200, out var lingering, out var ack))
        {
            // A retransmitted final response: a rejected INVITE's gets its ACK again, an acknowledged 2xx its ACK too.
            if (response.StatusCode >= 200)
            {
                Metrics.Retransmission("in", SipMetrics.MethodLabel(lingering.Method));
                if (ack is not null)
                {
                    _ = SendAsync(lingering.Target, ack);
                }
            }

            return;
        }

        handler.OnStrayResponse(response, source);
    }

    /// <summary>§18.2.2 with RFC 3581: reliable → the connection it came on; UDP → received:rport, else received:port, else sent-by.</summary>
    internal static SipEndPoint ResponseTargetFor(SipMessage request, SipEndPoint source)
    {
        if (source.IsReliable)
        {
            return source;
        }

        if (request.ReceivedFrom is not null && request.TryReadTopVia(out PlainVia plain))
        {
            var plainPort = ViaHeader.ResponsePort(plain, source.Address.Port);
            return plainPort == source.Address.Port ? source : source with { Address = new IPEndPoint(source.Address.Address, plainPort) };
        }

        var via = request.TopVia!;
        var port = via.RPort is { Length: > 0 } rport && int.TryParse(rport, NumberStyles.None, CultureInfo.InvariantCulture, out var rp) ? rp : via.Port ?? 5060;
        if (port == source.Address.Port && string.Equals(via.Received ?? via.Host, source.Address.Address.ToString(), StringComparison.Ordinal))
        {
            // The usual case (received and rport from this very datagram): back where it came from.
            return source;
        }

        if (via.Received is { } received && IPAddress.TryParse(received, out var receivedAddress))
        {
            return source with { Address = new IPEndPoint(receivedAddress, port) };
        }

        return IPAddress.TryParse(via.Host, out var host) ? source with { Address = new IPEndPoint(host, port) } : source;
    }

    internal async Task SendResponseAsync(ServerTransaction transaction, byte[] response, int statusCode)
    {
        Metrics.Response("out", transaction.Request.Method, statusCode);
        await SendAsync(transaction.ResponseTarget, response);
    }

    /// <summary>Sends a new request in a client transaction, keyed by the branch of its top Via (which the caller wrote).</summary>
    /// <param name="created">Called with the transaction before the request leaves, so a fast response always finds its caller ready.</param>
    public async Task<ClientTransaction> SendRequestAsync(SipMessageWriter request, SipEndPoint target, IClientTransactionUser user, Action<ClientTransaction>? created = null)
    {
        var branch = request.TopViaBranch ?? throw new InvalidOperationException("a request the edge sends carries its Via with a branch");
        var transaction = new ClientTransaction(this, branch, request.Method, request.ToArray(), target, user);
        clientTransactions[transaction.Key] = transaction;
        Metrics.TransactionStarted(transaction.Kind);
        Metrics.Request("out", transaction.Method);
        created?.Invoke(transaction);
        await transaction.StartAsync();
        return transaction;
    }

    /// <summary>Sends a request outside any transaction (the ACK for a 2xx, §13.2.2.4).</summary>
    public Task<bool> SendStatelessAsync(SipEndPoint target, byte[] request, string method)
    {
        Metrics.Request("out", method);
        return SendAsync(target, request);
    }

    public async Task<bool> SendAsync(SipEndPoint target, byte[] data)
    {
        if (target.Transport == SipTransportKind.Tcp)
        {
            return tcp is not null && await tcp.SendAsync(target.Address, data, CancellationToken.None);
        }

        if (udp is null)
        {
            return false;
        }

        await udp.SendAsync(target.Address, data, CancellationToken.None);
        return true;
    }

    /// <summary>
    /// The server transaction is final: for <paramref name="length"/> (zero on a reliable transport) only its key
    /// and <paramref name="reply"/> stay, and the transaction itself is no longer the stack's to keep.
    /// </summary>
    internal void Linger(ServerTransaction transaction, byte[]? reply, bool passesAck, TimeSpan length) =>
        Linger(serverTransactions, lingeringServer, transaction, transaction.Key, transaction.Kind,
            transaction.Request.Method, reply, transaction.ResponseTarget, passesAck, length);

    /// <summary>The client transaction is final: for <paramref name="length"/> only its key and the ACK to send again stay.</summary>
    internal void Linger(ClientTransaction transaction, byte[]? ack, TimeSpan length) =>
        Linger(clientTransactions, lingeringClient, transaction, transaction.Key, transaction.Kind,
            transaction.Method, ack, transaction.Target, passesAck: false, length);

    private void Linger<T>(ConcurrentDictionary<string, T> live, LingerTable lingering, T transaction,
        string key, byte kind, string method, byte[]? reply, SipEndPoint replyTarget, bool passesAck, TimeSpan length)
        where T : class
    {
        if (length <= TimeSpan.Zero)
        {
            End(live, key, transaction, kind);
            return;
        }

        // The lingering entry goes in before the live one goes out, so a retransmission always finds one of them.
        var record = new LingerRecord(kind, SipMetrics.MethodIndex(method), passesAck, replyTarget);
        var ticket = lingering.Add(key, length, record, reply);
        if (!live.TryRemove(new KeyValuePair<string, T>(key, transaction)))
        {
            // Ended meanwhile by one of its own timers.
            lingering.Remove(key, ticket);
            return;
        }

        if (ticket == 0)
        {
            // Not kept (only at shutdown): the transaction ends here instead of at the end of its linger.
            Metrics.TransactionEnded(kind);
        }
    }

    internal void Remove(ServerTransaction transaction) => End(serverTransactions, transaction.Key, transaction, transaction.Kind);

    internal void Remove(ClientTransaction transaction) => End(clientTransactions, transaction.Key, transaction, transaction.Kind);

    /// <summary>Takes a live transaction out of its table and off the gauge, if it is still there.</summary>
    private void End<T>(ConcurrentDictionary<string, T> live, string key, T transaction, byte kind)
        where T : class
    {
        if (live.TryRemove(new KeyValuePair<string, T>(key, transaction)))
        {
            Metrics.TransactionEnded(kind);
        }
    }

    private int disposed;

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref disposed, 1) == 1)
        {
            return;
        }

        if (udp is not null)
        {
            await udp.DisposeAsync();
        }

        if (tcp is not null)
        {
            await tcp.DisposeAsync();
        }

        foreach (var t in serverTransactions.Values)
        {
            t.Dispose();
        }

        foreach (var t in clientTransactions.Values)
        {
            t.Dispose();
        }

        lingeringServer.Dispose();
        lingeringClient.Dispose();
    }

    [LoggerMessage(EventId = 3201, Level = LogLevel.Information, Message = "SIP listening: udp {Udp}, tcp {Tcp}, advertised as {Advertised}")]
    private static partial void LogListening(ILogger logger, IPEndPoint? udp, IPEndPoint? tcp, string advertised);

    [LoggerMessage(EventId = 3202, Level = LogLevel.Debug, Message = "Dropped an unparsable message from {Source}: {Reason}")]
    private static partial void LogDropped(ILogger logger, SipEndPoint source, string reason);

    [LoggerMessage(EventId = 3203, Level = LogLevel.Warning, Message = "Closed a TCP connection from {Source}: {Reason}")]
    private static partial void LogFramingError(ILogger logger, SipEndPoint source, string reason);
}
