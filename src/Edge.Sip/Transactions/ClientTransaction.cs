using Calltracking.Edge.Sip.Messages;
using Calltracking.Edge.Sip.Transport;

namespace Calltracking.Edge.Sip.Transactions;

/// <summary>
/// A client transaction (§17.1): retransmits the request over UDP (timers A and E), gives up after 64·T1 with a
/// 408 (timers B and F), generates the ACK for a non-2xx final response to an INVITE and absorbs its
/// retransmissions (timer D), and hands every other response to the application exactly once. Once final (and, for a
/// 2xx, once the dialog has sent its ACK: <see cref="Acknowledge"/>) it lingers in the stack as its key and the ACK
/// to send again, without this object or its user.
/// </summary>
public sealed class ClientTransaction : IDisposable
{
    private readonly SipStack stack;
    private readonly Lock gate = new();
    private readonly byte[] requestBytes;
    private SipMessage? request;
    private ITimer? retransmitTimer;
    private ITimer? timeoutTimer;
    private ITimer? endTimer;
    private TimeSpan retransmitInterval;
    private byte[]? ackBytes;
    private bool acknowledged;

    internal ClientTransaction(SipStack stack, string branch, string method, byte[] requestBytes, SipEndPoint target, IClientTransactionUser user)
    {
        this.stack = stack;
        this.requestBytes = requestBytes;
        Branch = branch;
        Method = method;
        Target = target;
        User = user;
        Key = TransactionKey.ForClient(branch, method);
        State = method == "INVITE" ? TransactionState.Calling : TransactionState.Trying;
    }

    public string Key { get; }

    public string Branch { get; }

    public string Method { get; }

    /// <summary>
    /// The request as sent, parsed from its bytes the first time it is read (a CANCEL, the ACK of a failure): most
    /// transactions never need it, and a parsed copy kept for a whole call would outlive every young collection.
    /// </summary>
    public SipMessage Request
    {
        get
        {
            var parsed = Volatile.Read(ref request);
            if (parsed is null)
            {
                parsed = SipParser.Parse(requestBytes, datagram: true, out var error, int.MaxValue)
                    ?? throw new InvalidOperationException($"the edge built an invalid request: {error?.Reason}");
                parsed = Interlocked.CompareExchange(ref request, parsed, null) ?? parsed;
            }

            return parsed;
        }
    }

    public SipEndPoint Target { get; }

    public IClientTransactionUser User { get; }

    public TransactionState State { get; private set; }

    public bool IsInvite => Method == "INVITE";

    /// <summary>The kind on the active-transactions gauge.</summary>
    internal byte Kind => IsInvite ? TransactionKind.ClientInvite : TransactionKind.ClientNonInvite;

    internal async Task StartAsync()
    {
        if (!Target.IsReliable)
        {
            retransmitInterval = stack.Timers.T1;
            retransmitTimer = stack.Time.CreateTimer(static s => ((ClientTransaction)s!).OnRetransmitTimer(), this, retransmitInterval, Timeout.InfiniteTimeSpan);
        }

        timeoutTimer = stack.Time.CreateTimer(static s => ((ClientTransaction)s!).OnTimeout(), this, stack.Timers.Timeout64, Timeout.InfiniteTimeSpan);
        if (!await stack.SendAsync(Target, requestBytes))
        {
            Fail(503, "Service Unavailable (transport error)");
        }
    }

    private void OnRetransmitTimer()
    {
        lock (gate)
        {
            var active = IsInvite ? State == TransactionState.Calling : State is TransactionState.Trying or TransactionState.Proceeding;
            if (!active)
            {
                return;
            }

            // Timer A doubles without bound; timer E doubles up to T2, and runs at T2 once a provisional arrived (§17.1.2.2).
            retransmitInterval = IsInvite ? retransmitInterval * 2
                : State == TransactionState.Proceeding ? stack.Timers.T2
                : (retransmitInterval * 2 < stack.Timers.T2 ? retransmitInterval * 2 : stack.Timers.T2);
            retransmitTimer?.Change(retransmitInterval, Timeout.InfiniteTimeSpan);
        }

        stack.Metrics.Retransmission("out", Method);
        _ = stack.SendAsync(Target, requestBytes);
    }

    private void OnTimeout()
    {
        lock (gate)
        {
            var waiting = IsInvite ? State == TransactionState.Calling : State is TransactionState.Trying or TransactionState.Proceeding;
            if (!waiting)
            {
                return;
            }
        }

        Fail(408, "Request Timeout");
    }

    private void Fail(int statusCode, string reason)
    {
        lock (gate)
        {
            if (State is TransactionState.Terminated or TransactionState.Completed or TransactionState.Accepted)
            {
                return;
            }

            State = TransactionState.Terminated;
        }

        Dispose();
        stack.Remove(this);
        User.OnTransactionFailed(this, statusCode, reason);
    }

    internal void OnResponse(SipMessage response)
    {
        var code = response.StatusCode;
        byte[]? resendAck = null;
        var deliver = false;
        lock (gate)
        {
            switch (State)
            {
                case TransactionState.Calling or TransactionState.Trying or TransactionState.Proceeding:
                    if (code < 200)
                    {
                        State = TransactionState.Proceeding;
                        if (IsInvite)
                        {
                            retransmitTimer?.Dispose();
                            timeoutTimer?.Dispose();
                        }

                        deliver = true;
                        break;
                    }

                    retransmitTimer?.Dispose();
                    timeoutTimer?.Dispose();
                    deliver = true;
                    if (IsInvite && code < 300)
                    {
                        // RFC 6026 (timer M): 2xx retransmissions go to the dialog, which re-sends its ACK, until the
                        // dialog hands that ACK over (Acknowledge) and the stack re-sends it itself.
                        State = TransactionState.Accepted;
                        endTimer = stack.Time.CreateTimer(static s => ((ClientTransaction)s!).Terminate(), this, stack.Timers.Timeout64, Timeout.InfiniteTimeSpan);
                    }
                    else if (IsInvite)
                    {
                        State = TransactionState.Completed;
                        ackBytes = BuildAck(response);
                        resendAck = ackBytes;
                        stack.Linger(this, ackBytes, Target.IsReliable ? TimeSpan.Zero : stack.Timers.TimerD); // timer D
                    }
                    else
                    {
                        State = TransactionState.Completed;
                        stack.Linger(this, ack: null, Target.IsReliable ? TimeSpan.Zero : stack.Timers.T4); // timer K
                    }

                    break;
                case TransactionState.Completed when IsInvite && code >= 300:
                    stack.Metrics.Retransmission("in", "INVITE");
                    resendAck = ackBytes;
                    break;
                case TransactionState.Accepted when code is >= 200 and < 300:
                    stack.Metrics.Retransmission("in", "INVITE");
                    User.OnRetransmitted2xx(this, response);
                    break;
                default:
                    break;
            }
        }

        if (resendAck is not null)
        {
            _ = stack.SendAsync(Target, resendAck);
        }

        if (!deliver)
        {
            return;
        }

        if (code < 200)
        {
            User.OnProvisional(this, response);
        }
        else
        {
            User.OnFinal(this, response);
        }
    }

    /// <summary>
    /// The dialog has sent the ACK for this INVITE's 2xx (§13.2.2.4): for the rest of timer M the stack answers every
    /// retransmitted 2xx with it, and neither this transaction nor its user is kept for that.
    /// </summary>
    public void Acknowledge(byte[] ack)
    {
        lock (gate)
        {
            if (State != TransactionState.Accepted || acknowledged)
            {
                return;
            }

            acknowledged = true;
            endTimer?.Dispose();
        }

        stack.Linger(this, ack, stack.Timers.Timeout64);
    }

    /// <summary>The ACK for a non-2xx final response (§17.1.1.3): same branch, Request-URI, From, Call-ID, CSeq number, Route; To from the response.</summary>
    private byte[] BuildAck(SipMessage response)
    {
        var ack = SipMessageWriter.Request("ACK", Request.RequestUri!.ToString());
        ack.Add(SipHeaderNames.Via, Request.TopVia!.ToString());
        foreach (var header in Request.Headers)
        {
            if (header.Is(SipHeaderNames.From) || header.Is(SipHeaderNames.CallId) || header.Is(SipHeaderNames.Route))
            {
                ack.Add(header);
            }
        }

        var to = response.HeaderLine(SipHeaderNames.To);
        ack.Add(to.Name is null ? new SipHeader(SipHeaderNames.To, Request.Header(SipHeaderNames.To) ?? string.Empty) : to);
        ack.Add(SipHeaderNames.CSeq, $"{Request.CSeq.ToString(System.Globalization.CultureInfo.InvariantCulture)} ACK");
        ack.Add(SipHeaderNames.MaxForwards, "70");
        return ack.ToArray();
    }

    private void Terminate()
    {
        lock (gate)
        {
            if (State == TransactionState.Terminated)
            {
                return;
            }

            State = TransactionState.Terminated;
        }

        Dispose();
        stack.Remove(this);
    }

    public void Dispose()
    {
        retransmitTimer?.Dispose();
        timeoutTimer?.Dispose();
        endTimer?.Dispose();
    }
}
