using Calltracking.Edge.Sip.Messages;
using Calltracking.Edge.Sip.Transport;

namespace Calltracking.Edge.Sip.Transactions;

/// <summary>
/// A server transaction (§17.2): absorbs request retransmissions by resending the last response, retransmits a
/// non-2xx final response to an INVITE until the ACK comes (timers G, H, I), and lingers after the final response
/// (timer J; RFC 6026 timer L for 2xx) so late retransmissions never reach the application twice.
/// </summary>
public sealed class ServerTransaction : IDisposable
{
    private readonly SipStack stack;
    private readonly Lock gate = new();
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
        lock (gate)
        {
            if (State is TransactionState.Terminated or TransactionState.Completed or TransactionState.Confirmed or TransactionState.Accepted)
            {
                // Only a 2xx may follow a final response, and only the application's own 2xx retransmission does that.
                if (!(State == TransactionState.Accepted && statusCode is >= 200 and < 300))
                {
                    return;
                }
            }

            lastResponse = response;
            LastStatusCode = statusCode;
            if (statusCode >= 200)
            {
                EnterFinal(statusCode);
            }
            else if (State == TransactionState.Trying)
            {
                State = TransactionState.Proceeding;
            }
        }

        await stack.SendResponseAsync(this, response, statusCode);
    }

    private void EnterFinal(int statusCode)
    {
        var reliable = ResponseTarget.IsReliable;
        if (IsInvite && statusCode < 300)
        {
            State = TransactionState.Accepted;
            endTimer = stack.Time.CreateTimer(static s => ((ServerTransaction)s!).Terminate(), this, stack.Timers.Timeout64, Timeout.InfiniteTimeSpan);
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
            var timerJ = reliable ? TimeSpan.Zero : stack.Timers.Timeout64;
            endTimer = stack.Time.CreateTimer(static s => ((ServerTransaction)s!).Terminate(), this, timerJ, Timeout.InfiniteTimeSpan);
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
                    State = TransactionState.Confirmed;
                    retransmitTimer?.Dispose();
                    var timerI = ResponseTarget.IsReliable ? TimeSpan.Zero : stack.Timers.T4;
                    endTimer?.Dispose();
                    endTimer = stack.Time.CreateTimer(static s => ((ServerTransaction)s!).Terminate(), this, timerI, Timeout.InfiniteTimeSpan);
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
