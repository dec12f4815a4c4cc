using Calltracking.Edge.Sip.Messages;
using Calltracking.Edge.Sip.Transport;

namespace Calltracking.Edge.Sip.Transactions;

/// <summary>
/// A server transaction (§17.2): absorbs request retransmissions by resending the last response, retransmits a
/// non-2xx final response to an INVITE until the ACK comes (timers G, H), and lingers after the final response
/// (timer J; RFC 6026 timer L for 2xx; timer I after the ACK) so late retransmissions never reach the application
/// twice. The lingering is the stack's (<see cref="LingerTable"/>): it keeps the key and the final response,
/// not this object, its request or its handlers.
/// </summary>
public sealed class ServerTransaction : IDisposable
{
    private readonly SipStack stack;
    private readonly Lock gate = new();
    // Responses leave in the order the state machine accepted them: a 180 and a 200 handled on two receive threads
    // must not overtake each other on the wire.
    private readonly SemaphoreSlim sendOrder = new(1, 1);
    private ITimer? retransmitTimer;
    private ITimer? endTimer;
    private byte[]? lastResponse;
    private TimeSpan retransmitInterval;

    internal ServerTransaction(SipStack stack, string key, SipMessage request, SipEndPoint source, SipEndPoint responseTarget)
    {
        this.stack = stack;
        Key = key;
        Request = request;
        Source = source;
        ResponseTarget = responseTarget;
        State = request.Method == "INVITE" ? TransactionState.Proceeding : TransactionState.Trying;
    }

    public string Key { get; }

    public SipMessage Request { get; }

    public SipEndPoint Source { get; }

    /// <summary>Where responses go (§18.2.2, RFC 3581).</summary>
    public SipEndPoint ResponseTarget { get; }

    public bool IsInvite => Request.Method == "INVITE";

    /// <summary>The kind on the active-transactions gauge.</summary>
    internal byte Kind => IsInvite ? TransactionKind.ServerInvite : TransactionKind.ServerNonInvite;

    public TransactionState State { get; private set; }

    public int LastStatusCode { get; private set; }

    /// <summary>Set when a CANCEL matched this INVITE (§9.2); the application answers the INVITE with 487.</summary>
    public bool IsCancelled { get; internal set; }

    /// <summary>Raised once, when a CANCEL for this INVITE arrives.</summary>
    public event Action<ServerTransaction>? Cancelled;

    internal void RaiseCancelled()
    {
        IsCancelled = true;
        Cancelled?.Invoke(this);
    }

    /// <summary>Builds a response per §8.2.6 (with this edge's To-tag for the dialog, when given).</summary>
    public SipMessageWriter CreateResponse(int statusCode, string reason, string? toTag = null) =>
        SipMessageWriter.ResponseTo(Request, statusCode, reason, toTag).Add(SipHeaderNames.Server, stack.ServerHeader);

    public Task RespondAsync(int statusCode, string reason, string? toTag = null) => SendAsync(CreateResponse(statusCode, reason, toTag).ToArray(), statusCode);

    public async Task SendAsync(byte[] response, int statusCode)
    {
        await sendOrder.WaitAsync();
        try
        {
            if (!Accept(response, statusCode))
            {
                return;
            }

            await stack.SendResponseAsync(this, response, statusCode);
        }
        finally
        {
            sendOrder.Release();
        }
    }

    private bool Accept(byte[] response, int statusCode)
    {
        lock (gate)
        {
            if (State is TransactionState.Terminated or TransactionState.Completed or TransactionState.Confirmed or TransactionState.Accepted)
            {
                // Only a 2xx may follow a final response, and only the application's own 2xx retransmission does that.
                if (!(State == TransactionState.Accepted && statusCode is >= 200 and < 300))
                {
                    return false;
                }
            }

            lastResponse = response;
            LastStatusCode = statusCode;
            if (statusCode >= 200)
            {
                EnterFinal(statusCode, response);
            }
            else if (State == TransactionState.Trying)
            {
                State = TransactionState.Proceeding;
            }
        }

        return true;
    }

    private void EnterFinal(int statusCode, byte[] response)
    {
        var reliable = ResponseTarget.IsReliable;
        if (IsInvite && statusCode < 300)
        {
            // RFC 6026 Accepted (timer L): retransmitted INVITEs are absorbed, the ACK goes on to the application, and
            // the 2xx is the application's to retransmit.
            State = TransactionState.Accepted;
            stack.Linger(this, reply: null, passesAck: true, stack.Timers.Timeout64);
            lastResponse = null; // nothing resends it from here, and the dialog may hold this object for the whole call
            return;
        }

        State = TransactionState.Completed;
        if (IsInvite)
        {
            if (!reliable)
            {
                retransmitInterval = stack.Timers.T1;
                retransmitTimer = stack.Time.CreateTimer(static s => ((ServerTransaction)s!).OnTimerG(), this, retransmitInterval, Timeout.InfiniteTimeSpan);
            }

            endTimer = stack.Time.CreateTimer(static s => ((ServerTransaction)s!).OnTimerH(), this, stack.Timers.Timeout64, Timeout.InfiniteTimeSpan);
        }
        else
        {
            stack.Linger(this, response, passesAck: false, reliable ? TimeSpan.Zero : stack.Timers.Timeout64); // timer J
        }
    }

    private void OnTimerG()
    {
        byte[]? resend;
        lock (gate)
        {
            if (State != TransactionState.Completed)
            {
                return;
            }

            resend = lastResponse;
            retransmitInterval = retransmitInterval * 2 < stack.Timers.T2 ? retransmitInterval * 2 : stack.Timers.T2;
            retransmitTimer?.Change(retransmitInterval, Timeout.InfiniteTimeSpan);
        }

        if (resend is not null)
        {
            stack.Metrics.Retransmission("out", Request.Method);
            _ = stack.SendAsync(ResponseTarget, resend);
        }
    }

    private void OnTimerH()
    {
        // No ACK for the final response: the peer is gone (§17.2.1). Nothing more to do than forget it.
        Terminate();
    }

    /// <summary>A retransmitted request or the ACK for a non-2xx response. True when absorbed here.</summary>
    internal bool OnRequestRetransmission(SipMessage request)
    {
        byte[]? resend = null;
        lock (gate)
        {
            if (request.Method == "ACK")
            {
                if (State == TransactionState.Completed)
                {
                    retransmitTimer?.Dispose();
                    endTimer?.Dispose();
                    stack.Linger(this, reply: null, passesAck: false, ResponseTarget.IsReliable ? TimeSpan.Zero : stack.Timers.T4); // timer I
                    // Confirmed once timer I runs: whoever sees the state sees the linger started.
                    State = TransactionState.Confirmed;
                    return true;
                }

                // An ACK for a 2xx is a request of its own (§17.1.1.3): the dialog takes it.
                return State == TransactionState.Confirmed;
            }

            stack.Metrics.Retransmission("in", request.Method);
            if (State is TransactionState.Proceeding or TransactionState.Completed || (State == TransactionState.Trying && lastResponse is not null))
            {
                resend = lastResponse;
            }
        }

        if (resend is not null)
        {
            _ = stack.SendAsync(ResponseTarget, resend);
        }

        return true;
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
        endTimer?.Dispose();
    }
}
