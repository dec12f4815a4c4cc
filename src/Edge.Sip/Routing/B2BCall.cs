using System.Globalization;
using Calltracking.Edge.Sip.Media;
using Calltracking.Edge.Sip.Messages;
using Calltracking.Edge.Sip.Transactions;
using Calltracking.Edge.Sip.Transport;
using Calltracking.Shared.Calls;
using Calltracking.Shared.Media;
using Calltracking.Shared.Routing;

namespace Calltracking.Edge.Sip.Routing;

/// <summary>
/// One forwarded call: the carrier's dialog (the edge is its UAS) and the dialog towards the target (the edge is its
/// UAC), each with its own Call-ID, tags and CSeq. The call owns its callee leg: provisional and final responses are
/// relayed back, CANCEL and BYE cross over, in-dialog requests are relayed leg to leg.
/// </summary>
internal sealed class B2BCall : IClientTransactionUser
{
    private static readonly HashSet<string> NotForwarded = new(StringComparer.OrdinalIgnoreCase)
    {
        SipHeaderNames.Via, SipHeaderNames.From, SipHeaderNames.To, SipHeaderNames.CallId, SipHeaderNames.CSeq, SipHeaderNames.Contact,
        SipHeaderNames.MaxForwards, SipHeaderNames.ContentLength, SipHeaderNames.Route, SipHeaderNames.RecordRoute, SipHeaderNames.Authorization,
        "Proxy-Authorization", SipHeaderNames.PAssertedIdentity, "P-Preferred-Identity", SipHeaderNames.Require, "Proxy-Require",
        "x-roistat", "x-roistat-phone", "x-roistat-marker", SipHeaderNames.ContentType, SipHeaderNames.Supported,
    };

    private readonly CallRouter router;
    private readonly SipStack stack;
    private readonly Lock gate = new();
    // The targets in the order to try, often the same list for every call of a script (CallTargets), and the next one's index.
    private readonly IReadOnlyList<CallTarget> targets;
    private int nextTarget;
    private readonly long startedTimestamp;
    private ClientTransaction? calleeInvite;
    private CallTarget? currentTarget;
    private ITimer? ringTimer;

    // The carrier's INVITE until its 2xx has gone; from then on only the dialogs' text stays, so an answered
    // call does not hold the INVITE (its datagram, parsed headers, transaction) for as long as it lasts. At 1,000
    // calls/s that was half of what each young collection had to copy (docs/sip.md).
    private ServerTransaction? invite;
    private DialogText? dialog;

    // The 2xx to the carrier's INVITE over UDP, retransmitted until its ACK (§13.3.1.4); every answered call has one.
    private ITimer? inviteOk;
    private readonly long inviteCseq;

    // 2xx answers to relayed re-INVITEs sent over UDP, by side and CSeq: retransmitted until their ACK.
    // Made on first use: most calls never relay a re-INVITE, and over TCP no 2xx is retransmitted.
    private System.Collections.Concurrent.ConcurrentDictionary<(bool ToCarrier, long CSeq), ITimer>? unacknowledgedOks;

    // Offerless re-INVITEs answered 2xx, by the originator's side and CSeq: their ACK on the other side waits for the originator's answer.
    private System.Collections.Concurrent.ConcurrentDictionary<(bool FromCarrier, long CSeq), RelayUser>? awaitingAck;
    private byte[]? ackToCallee;

    // The callee leg's From as on its INVITE, until the call is answered; from then on it is in the dialogs' text.
    private string? calleeFrom;
    private long calleeCseq = 1;
    private long carrierCseq;
    private bool ringing;
    private MediaSession? media;
    private long ringingTicks;
    private long answeredTicks;

    public B2BCall(CallRouter router, SipStack stack, ServerTransaction invite, RouteDecision route, IReadOnlyList<CallTarget> targets, string? callerRaw)
    {
        this.router = router;
        this.stack = stack;
        this.invite = invite;
        inviteCseq = invite.Request.CSeq;
        Route = route;
        CallerRaw = callerRaw;
        this.targets = targets;
        CarrierToTag = SipStack.NewTag();
        CalleeCallId = SipStack.NewCallId();
        CalleeFromTag = SipStack.NewTag();
        CarrierCallId = invite.Request.CallId;
        startedTimestamp = stack.Time.GetTimestamp();
        StartedAt = stack.Time.GetUtcNow();
        carrierCseq = Random.Shared.Next(1, 10_000);
        if (router.Recorder is not null && !route.Settings.NoRecord && Sdp.ParseAudio(invite.Request.Body.Span) is { } offer)
        {
            // A recorded call: media goes through the edge's relay (a full port range leaves the call unrecorded).
            media = router.Media.Open();
            media?.SetCallerRemote(offer);
        }
    }

    /// <summary>True when the call's media goes through the relay and is captured once answered.</summary>
    public bool Recorded => media is not null;

    public Guid Id { get; } = Guid.CreateVersion7();

    /// <summary>The carrier's INVITE transaction; only until the call's 2xx has been sent to the carrier.</summary>
    public ServerTransaction Invite => invite ?? throw new InvalidOperationException("the carrier's INVITE is let go once the call is answered");

    public RouteDecision Route { get; }

    public string? CallerRaw { get; }

    public DateTimeOffset StartedAt { get; }

    public string CarrierToTag { get; }

    public string CalleeCallId { get; }

    public string CalleeFromTag { get; }

    public CallState State { get; private set; } = CallState.Trying;

    /// <summary>When the callee first rang; repeated in the end event. Kept as UTC ticks so the end, on another thread, reads it whole.</summary>
    public DateTimeOffset? RingingAt => Instant(ref ringingTicks);

    /// <summary>When the callee answered; repeated in the end event.</summary>
    public DateTimeOffset? AnsweredAt => Instant(ref answeredTicks);

    public string CarrierCallId { get; }

    // Made when asked from the strings the call holds anyway, rather than kept as two more references each.
    public DialogId CarrierKey => new(CarrierCallId, CarrierToTag);

    public DialogId CalleeKey => new(CalleeCallId, CalleeFromTag);

    public SipEndPoint CalleeDestination => currentTarget?.Destination ?? default;

    /// <summary>Starts the callee leg; the ring timeout runs from here.</summary>
    public async Task StartAsync()
    {
        ringTimer = stack.Time.CreateTimer(static s => ((B2BCall)s!).OnTimer(), this, Route.RingTimeout, Timeout.InfiniteTimeSpan);
        Invite.Cancelled += _ => OnCarrierCancel();
        await TryNextTargetAsync(lastStatus: 480, lastReason: "Temporarily Unavailable");
    }

    private async Task TryNextTargetAsync(int lastStatus, string lastReason)
    {
        CallTarget? target;
        lock (gate)
        {
            if (State != CallState.Trying && State != CallState.Ringing)
            {
                return;
            }

            target = nextTarget < targets.Count ? targets[nextTarget++] : null;
            currentTarget = target ?? currentTarget;
        }

        if (target is null)
        {
            await FailAsync(lastStatus, lastReason, lastStatus is 408 or 503 && !ringing ? CallOutcome.TargetUnreachable : CallOutcome.FromFinalResponse(lastStatus));
            return;
        }

        var request = BuildCalleeInvite(target, SipStack.NewBranch());
        await stack.SendRequestAsync(request, target.Destination, this, created: t => calleeInvite = t);
        router.Metrics.Forwarded(stack.Time.GetElapsedTime(startedTimestamp), Route.Redirect);
    }

    private SipMessageWriter BuildCalleeInvite(CallTarget target, string branch)
    {
        var carrier = Invite.Request;
        var caller = Route.Caller ?? "anonymous";
        var display = carrier.From?.DisplayName;
        var edge = stack.AdvertisedHostPort;
        var fromUri = $"sip:{caller}@{edge}";
        var invite = SipMessageWriter.Request("INVITE", target.RequestUri.ToString(), carrier.Headers.Length + 16)
            .Add(SipHeaderNames.Via, stack.LocalVia(target.Destination.Transport, branch))
            .Add(SipHeaderNames.MaxForwards, Math.Max(1, (carrier.MaxForwards ?? 70) - 1).ToString(CultureInfo.InvariantCulture))
            .Add(SipHeaderNames.From, calleeFrom = (display is null ? $"<{fromUri}>" : $"\"{display.Replace("\"", string.Empty, StringComparison.Ordinal)}\" <{fromUri}>") + $";tag={CalleeFromTag}")
            .Add(SipHeaderNames.To, $"<{target.ToUri}>")
            .Add(SipHeaderNames.CallId, CalleeCallId)
            .Add(SipHeaderNames.CSeq, $"{calleeCseq.ToString(CultureInfo.InvariantCulture)} INVITE")
            .Add(SipHeaderNames.Contact, stack.Contact(target.Destination.Transport))
            .Add(SipHeaderNames.PAssertedIdentity, $"<{fromUri}>");
        // Supported goes on as received, less 100rel (the edge does not do reliable provisionals towards the target).
        if (carrier.HasToken(SipHeaderNames.Supported, "100rel"))
        {
            var supported = string.Join(", ", carrier.HeaderValues(SipHeaderNames.Supported).Where(s => !s.Equals("100rel", StringComparison.OrdinalIgnoreCase)));
            if (supported.Length > 0)
            {
                invite.Add(SipHeaderNames.Supported, supported);
            }
        }
        else
        {
            foreach (var header in carrier.Headers)
            {
                if (header.Is(SipHeaderNames.Supported))
                {
                    invite.Add(header);
                }
            }
        }

        foreach (var (name, value) in ForwardingHeaders.Build(Route))
        {
            invite.Add(name, value);
        }

        foreach (var header in carrier.Headers)
        {
            if (!NotForwarded.Contains(header.Name))
            {
                invite.Add(header);
            }
        }

        return invite.WithBody(MediaBody(carrier.Body, fromCarrier: true), carrier.Header(SipHeaderNames.ContentType));
    }

    /// <summary>
    /// A body crossing the edge: for a relayed call an SDP from one side tells the relay where that side wants media
    /// and goes on to the other side pointing at the edge's port facing it.
    /// </summary>
    private ReadOnlyMemory<byte> MediaBody(ReadOnlyMemory<byte> body, bool fromCarrier)
    {
        if (media is null || body.IsEmpty || Sdp.ParseAudio(body.Span) is not { } sdp)
        {
            return body;
        }

        if (fromCarrier)
        {
            media.SetCallerRemote(sdp);
            return Sdp.Rewrite(body.Span, router.Media.AdvertisedAddress, media.CalleePort);
        }

        media.SetCalleeRemote(sdp);
        return Sdp.Rewrite(body.Span, router.Media.AdvertisedAddress, media.CallerPort);
    }

    public void OnProvisional(ClientTransaction transaction, SipMessage response)
    {
        if (transaction != calleeInvite || response.StatusCode == 100)
        {
            return;
        }

        ServerTransaction carrierInvite;
        lock (gate)
        {
            if (State != CallState.Trying && State != CallState.Ringing)
            {
                return;
            }

            State = CallState.Ringing;
            carrierInvite = Invite; // still held: it is let go only after the call is answered
        }

        if (!ringing)
        {
            ringing = true;
            router.Metrics.FirstResponse(stack.Time.GetElapsedTime(startedTimestamp), Route.Redirect);
            var ringingAt = stack.Time.GetUtcNow();
            Volatile.Write(ref ringingTicks, ringingAt.UtcTicks);
            router.Events.OnRinging(new CallRinging(Id, ringingAt));
        }

        _ = carrierInvite.SendAsync(CarrierResponse(response, carrierInvite).ToArray(), response.StatusCode);
    }

    public void OnFinal(ClientTransaction transaction, SipMessage response)
    {
        if (transaction != calleeInvite)
        {
            // A late 2xx from a leg that was given up (failover, cancel race): take it and hang it up.
            if (response.StatusCode is >= 200 and < 300 && transaction.IsInvite)
            {
                _ = HangUpStrayAsync(transaction, response);
            }

            return;
        }

        if (response.StatusCode is >= 200 and < 300)
        {
            _ = OnAnsweredAsync(response);
            return;
        }

        if (CallOutcome.ShouldFailOver(response.StatusCode) && !ringing)
        {
            _ = TryNextTargetAsync(response.StatusCode, response.ReasonPhrase);
            return;
        }

        _ = FailAsync(response.StatusCode, response.ReasonPhrase, CallOutcome.FromFinalResponse(response.StatusCode), response);
    }

    public void OnTransactionFailed(ClientTransaction transaction, int statusCode, string reason)
    {
        if (transaction == calleeInvite)
        {
            _ = TryNextTargetAsync(statusCode, reason);
        }
    }

    public void OnRetransmitted2xx(ClientTransaction transaction, SipMessage response)
    {
        if (ackToCallee is { } ack)
        {
            _ = stack.SendStatelessAsync(transaction.Target, ack, "ACK");
        }
    }

    private async Task OnAnsweredAsync(SipMessage response)
    {
        lock (gate)
        {
            if (State is CallState.Answered or CallState.Ended)
            {
                return;
            }

            // Before the call is seen answered: a BYE from the target may follow its 2xx at once and needs it.
            dialog = AnsweredDialog(response);
            if (State == CallState.Cancelling)
            {
                State = CallState.Ended;
            }
            else
            {
                State = CallState.Answered;
            }
        }

        // The ring timer, no longer needed for ringing, bounds the answered call's length (Release disposes it).
        if (State == CallState.Answered && router.MaxCallDuration > TimeSpan.Zero && ringTimer is { } timer)
        {
            try
            {
                timer.Change(router.MaxCallDuration, Timeout.InfiniteTimeSpan);
            }
            catch (ObjectDisposedException)
            {
                // Ended meanwhile: Release disposed it.
            }
        }
        else
        {
            Interlocked.Exchange(ref ringTimer, null)?.Dispose();
        }

        router.Register(this, callee: true);
        var ack = ackToCallee = BuildCalleeRequest("ACK", cseq: calleeCseq).ToArray();
        calleeInvite?.Acknowledge(ack);
        // From here the stack answers the INVITE's 2xx retransmissions: the call lets go of the transaction and the
        // request it holds (a response on another leg still finds no match and is hung up as stray), and of the ACK.
        calleeInvite = null;
        ackToCallee = null;
        await stack.SendStatelessAsync(currentTarget!.Destination, ack, "ACK");
        if (State == CallState.Ended)
        {
            // The carrier cancelled while the target answered: end the target's side too.
            await SendByeToCalleeAsync();
            return;
        }

        if (!ringing)
        {
            ringing = true;
            router.Metrics.FirstResponse(stack.Time.GetElapsedTime(startedTimestamp), Route.Redirect);
        }

        var answeredAt = stack.Time.GetUtcNow();
        Volatile.Write(ref answeredTicks, answeredAt.UtcTicks);
        router.Events.OnAnswered(new CallAnswered(Id, answeredAt));
        if (media is not null)
        {
            Dictionary<int, string> names;
            lock (media.PayloadNames)
            {
                names = new Dictionary<int, string>(media.PayloadNames);
            }

            var capture = router.Recorder?.Open(new CaptureInfo(Id, Route.ProjectId, answeredAt, Route.Settings.RecordStereo, names));
            media.Answered(capture, router.Media.IdleTimeout, () => _ = HangUpAsync("no media"));
        }

        var carrierInvite = Invite;
        var ok = CarrierResponse(response, carrierInvite).ToArray();
        if (!carrierInvite.ResponseTarget.IsReliable)
        {
            // §13.3.1.4: the UAS core retransmits its 2xx until the ACK arrives.
            RetransmitOk(toCarrier: true, inviteCseq, carrierInvite.ResponseTarget, ok, startedTimestamp, Route.RingTimeout + stack.Timers.Timeout64);
        }

        await carrierInvite.SendAsync(ok, response.StatusCode);
        invite = null;
    }

    /// <summary>
    /// An ACK in either dialog: it ends the retransmission of the 2xx to the (re-)INVITE with its CSeq and, when that
    /// re-INVITE was offerless, goes on to the other side with its answer.
    /// </summary>
    public void OnAck(bool fromCarrier, SipMessage ack)
    {
        StopOk(fromCarrier, ack.CSeq);
        if (awaitingAck is not null && awaitingAck.TryRemove((fromCarrier, ack.CSeq), out var relay))
        {
            relay.SendAck(ack.Body, ack.Header(SipHeaderNames.ContentType));
        }
    }

    private void StopOk(bool toCarrier, long cseq)
    {
        if (toCarrier && cseq == inviteCseq)
        {
            Interlocked.Exchange(ref inviteOk, null)?.Dispose();
        }
        else if (unacknowledgedOks is not null && unacknowledgedOks.TryRemove((toCarrier, cseq), out var timer))
        {
            timer.Dispose();
        }
    }

    private void StopRetransmissions()
    {
        Interlocked.Exchange(ref inviteOk, null)?.Dispose();
        if (unacknowledgedOks is null)
        {
            return;
        }

        foreach (var key in unacknowledgedOks.Keys)
        {
            StopOk(key.ToCarrier, key.CSeq);
        }
    }

    /// <summary>
    /// Retransmits a 2xx over an unreliable transport, T1 doubling up to T2, until the ACK (<see cref="OnAck"/>)
    /// or until <paramref name="limit"/> has passed since <paramref name="since"/> (§13.3.1.4). Armed before the
    /// first send, so an ACK that comes back at once always finds it.
    /// </summary>
    private void RetransmitOk(bool toCarrier, long cseq, SipEndPoint target, byte[] ok, long since, TimeSpan limit)
    {
        var interval = stack.Timers.T1;
        ITimer? timer = null;
        timer = stack.Time.CreateTimer(
            _ =>
            {
                if (State != CallState.Answered || stack.Time.GetElapsedTime(since) > limit)
                {
                    StopOk(toCarrier, cseq);
                    return;
                }

                stack.Metrics.Retransmission("out", "INVITE");
                _ = stack.SendAsync(target, ok);
                interval = interval * 2 < stack.Timers.T2 ? interval * 2 : stack.Timers.T2;
                timer?.Change(interval, Timeout.InfiniteTimeSpan);
            },
            null,
            Timeout.InfiniteTimeSpan,
            Timeout.InfiniteTimeSpan);
        var added = toCarrier && cseq == inviteCseq
            ? Interlocked.CompareExchange(ref inviteOk, timer, null) is null
            : LazyInitializer.EnsureInitialized(ref unacknowledgedOks).TryAdd((toCarrier, cseq), timer);
        if (added)
        {
            timer.Change(interval, Timeout.InfiniteTimeSpan);
        }
        else
        {
            timer.Dispose();
        }
    }

    private SipMessageWriter CarrierResponse(SipMessage response, ServerTransaction carrierInvite)
    {
        var writer = carrierInvite.CreateResponse(response.StatusCode, response.ReasonPhrase, CarrierToTag);
        if (response.StatusCode < 300)
        {
            writer.Add(SipHeaderNames.Contact, stack.Contact(carrierInvite.Source.Transport));
        }

        // One pass over the response's headers (no iterator per name), in the order received.
        foreach (var header in response.Headers)
        {
            if (header.Is(SipHeaderNames.SessionExpires) || header.Is(SipHeaderNames.Allow) || header.Is("Accept")
                || header.Is(SipHeaderNames.Reason) || header.Is(SipHeaderNames.Warning) || header.Is(SipHeaderNames.RetryAfter))
            {
                writer.Add(header);
            }
        }

        if (response.HasToken(SipHeaderNames.Require, "timer"))
        {
            writer.Add(SipHeaderNames.Require, "timer");
        }

        return writer.WithBody(MediaBody(response.Body, fromCarrier: false), response.Header(SipHeaderNames.ContentType));
    }

    private async Task FailAsync(int code, string reason, CallStatus status, SipMessage? response = null)
    {
        lock (gate)
        {
            // Cancelling: the carrier already got its final answer (487 or the ring timeout's 408) from that path.
            if (State is CallState.Answered or CallState.Ended or CallState.Cancelling)
            {
                return;
            }

            State = CallState.Ended;
        }

        Interlocked.Exchange(ref ringTimer, null)?.Dispose();
        var writer = response is not null ? CarrierResponse(response, Invite) : Invite.CreateResponse(code, reason, CarrierToTag);
        await Invite.SendAsync(writer.ToArray(), code);
        router.End(this, status, code, reason);
    }

    private void OnCarrierCancel() => _ = EndUnansweredAsync(487, "Request Terminated", reasonHeader: false, CallOutcome.CallerCancelled, "caller cancelled");

    /// <summary>The ring timeout while the call rings; once answered, its maximum length.</summary>
    private void OnTimer()
    {
        if (State == CallState.Answered)
        {
            _ = HangUpAsync(CallRouter.MaxDurationReason);
        }
        else
        {
            _ = EndUnansweredAsync(408, "Request Timeout", reasonHeader: true, CallOutcome.RingTimeout, "ring timeout");
        }
    }

    /// <summary>
    /// Ends a call the target has not answered (carrier's CANCEL, ring timeout, shutdown): the carrier gets
    /// <paramref name="code"/> (with a Reason header naming <paramref name="reason"/> when asked), the target a CANCEL.
    /// False when the call was already answered or ended. Completes when both have been sent.
    /// </summary>
    private async Task<bool> EndUnansweredAsync(int code, string phrase, bool reasonHeader, CallStatus status, string reason)
    {
        lock (gate)
        {
            if (State is not (CallState.Trying or CallState.Ringing))
            {
                return false;
            }

            State = CallState.Cancelling;
        }

        Interlocked.Exchange(ref ringTimer, null)?.Dispose();
        var answer = Invite.CreateResponse(code, phrase, CarrierToTag);
        if (reasonHeader)
        {
            answer.Add(SipHeaderNames.Reason, $"SIP;cause={code.ToString(CultureInfo.InvariantCulture)};text=\"{reason}\"");
        }

        // The carrier's answer first, so the target's 487 to our CANCEL can never reach it instead.
        var answered = Invite.SendAsync(answer.ToArray(), code);
        var cancelled = CancelCalleeAsync();
        router.End(this, status, code, reason);
        await answered;
        await cancelled;
        return true;
    }

    /// <summary>CANCEL for the callee INVITE (§9.1): same Request-URI, Call-ID, From, To, CSeq number and branch.</summary>
    private async Task CancelCalleeAsync()
    {
        var invite = calleeInvite;
        if (invite is null || currentTarget is null)
        {
            return;
        }

        var cancel = SipMessageWriter.Request("CANCEL", invite.Request.RequestUri!.ToString())
            .Add(SipHeaderNames.Via, invite.Request.TopVia!.ToString())
            .Add(SipHeaderNames.MaxForwards, "70")
            .Add(invite.Request.HeaderLine(SipHeaderNames.From))
            .Add(invite.Request.HeaderLine(SipHeaderNames.To))
            .Add(SipHeaderNames.CallId, CalleeCallId)
            .Add(SipHeaderNames.CSeq, $"{invite.Request.CSeq.ToString(CultureInfo.InvariantCulture)} CANCEL")
            .Add(SipHeaderNames.Reason, "SIP;cause=487;text=\"cancelled by caller\"");
        await stack.SendRequestAsync(cancel, currentTarget.Destination, router.Discard);
    }

    private SipMessageWriter BuildCalleeRequest(string method, long cseq) =>
        SipMessageWriter.Request(method, dialog![DialogPart.CalleeTarget])
            .Add(SipHeaderNames.Via, stack.LocalVia(currentTarget!.Destination.Transport, SipStack.NewBranch()))
            .Add(SipHeaderNames.MaxForwards, "70")
            .Add(SipHeaderNames.From, dialog[DialogPart.CalleeFrom])
            .Add(SipHeaderNames.To, dialog[DialogPart.CalleeTo])
            .Add(SipHeaderNames.CallId, CalleeCallId)
            .Add(SipHeaderNames.CSeq, $"{cseq.ToString(CultureInfo.InvariantCulture)} {method}");

    /// <summary>A request in the carrier's dialog (the call is answered, so <see cref="dialog"/> is set).</summary>
    private SipMessageWriter BuildCarrierRequest(string method)
    {
        var answered = dialog!;
        var cseq = Interlocked.Increment(ref carrierCseq);
        return SipMessageWriter.Request(method, answered[DialogPart.CarrierTarget])
            .Add(SipHeaderNames.Via, stack.LocalVia(answered.CarrierTransport, SipStack.NewBranch()))
            .Add(SipHeaderNames.MaxForwards, "70")
            .Add(SipHeaderNames.From, answered[DialogPart.CarrierFrom])
            .Add(SipHeaderNames.To, answered[DialogPart.CarrierTo])
            .Add(SipHeaderNames.CallId, CarrierCallId)
            .Add(SipHeaderNames.CSeq, $"{cseq.ToString(CultureInfo.InvariantCulture)} {method}");
    }

    /// <summary>
    /// What both dialogs need once the call is answered (§12.1.1, §12.1.2): towards the carrier, its Contact (else its
    /// From) as the remote target, its To with our tag as our From, its From as our To; towards the callee, its 2xx's
    /// Contact (else the target's URI), our From as on the INVITE, and the target's URI with the callee's tag as To.
    /// </summary>
    private DialogText AnsweredDialog(SipMessage answer)
    {
        var carrier = Invite.Request;
        var target = currentTarget!;
        var calleeTag = answer.To?.Tag;
        var text = DialogText.Of(
            new(carrier.FirstAddressUriText(SipHeaderNames.Contact) ?? carrier.From!.Uri.ToString()),
            new(carrier.HeaderLine(SipHeaderNames.To).RawValue.Span, carrier.To!.Tag is null ? ";tag=" + CarrierToTag : null),
            new(carrier.HeaderLine(SipHeaderNames.From).RawValue.Span),
            new(answer.FirstAddressUriText(SipHeaderNames.Contact) ?? target.RequestUri.ToString()),
            new(calleeFrom!),
            new(calleeTag is null ? $"<{target.ToUri}>" : $"<{target.ToUri}>;tag={calleeTag}"),
            Invite.ResponseTarget,
            Invite.Source.Transport);
        calleeFrom = null;
        return text;
    }

    /// <summary>An in-dialog request from one side: BYE ends the call, others are relayed to the other side.</summary>
    public async Task OnInDialogRequestAsync(ServerTransaction transaction, bool fromCarrier)
    {
        var request = transaction.Request;
        var localTag = fromCarrier ? CarrierToTag : CalleeFromTag;
        if (request.Method == "BYE")
        {
            await transaction.RespondAsync(200, "OK", localTag);
            // A BYE in the carrier's early dialog (it knows our tag from the 180) hangs up before the answer (§15): the
            // INVITE gets 487 and the target a CANCEL, as for the carrier's CANCEL.
            if (fromCarrier && await EndUnansweredAsync(487, "Request Terminated", reasonHeader: false, CallOutcome.CallerCancelled, "caller hung up before the answer"))
            {
                return;
            }

            lock (gate)
            {
                // Not answered: already being ended (cancelled, failed, timed out), which ends both legs.
                if (State != CallState.Answered)
                {
                    return;
                }

                State = CallState.Ended;
            }

            StopRetransmissions();
            if (fromCarrier)
            {
                await SendByeToCalleeAsync();
            }
            else
            {
                await stack.SendRequestAsync(BuildCarrierRequest("BYE"), dialog!.CarrierDestination, router.Discard);
            }

            router.End(this, CallStatus.ANSWER, null, fromCarrier ? "caller hung up" : "callee hung up");
            return;
        }

        if (State != CallState.Answered)
        {
            await transaction.RespondAsync(request.Method == "INVITE" ? 491 : 481, request.Method == "INVITE" ? "Request Pending" : "Call/Transaction Does Not Exist", localTag);
            return;
        }

        // re-INVITE, UPDATE (session refresh, RFC 4028), INFO (DTMF): relay to the other side and relay its answer back.
        SipMessageWriter relayed;
        SipEndPoint destination;
        if (fromCarrier)
        {
            relayed = BuildCalleeRequest(request.Method, Interlocked.Increment(ref calleeCseq));
            destination = currentTarget!.Destination;
        }
        else
        {
            relayed = BuildCarrierRequest(request.Method);
            destination = dialog!.CarrierDestination;
        }

        relayed.Add(SipHeaderNames.Contact, $"<sip:edge@{stack.AdvertisedHostPort}>");
        foreach (var name in new[] { SipHeaderNames.SessionExpires, SipHeaderNames.MinSe, SipHeaderNames.Supported, "Content-Disposition", "Info-Package", SipHeaderNames.Event })
        {
            foreach (var header in request.HeaderLines(name))
            {
                relayed.Add(header);
            }
        }

        relayed.WithBody(MediaBody(request.Body, fromCarrier), request.Header(SipHeaderNames.ContentType));
        await stack.SendRequestAsync(relayed, destination, new RelayUser(this, transaction, localTag, destination, answerFromCarrier: !fromCarrier));
    }

    private async Task SendByeToCalleeAsync()
    {
        var bye = BuildCalleeRequest("BYE", Interlocked.Increment(ref calleeCseq));
        await stack.SendRequestAsync(bye, currentTarget!.Destination, router.Discard);
    }

    private async Task HangUpStrayAsync(ClientTransaction transaction, SipMessage response)
    {
        var contact = response.FirstAddress(SipHeaderNames.Contact)?.Uri ?? transaction.Request.RequestUri!;
        var toTag = response.To?.Tag;
        var from = transaction.Request.HeaderLine(SipHeaderNames.From);
        var to = $"{transaction.Request.Header(SipHeaderNames.To)}" + (toTag is null ? string.Empty : $";tag={toTag}");
        var ack = SipMessageWriter.Request("ACK", contact.ToString())
            .Add(SipHeaderNames.Via, stack.LocalVia(transaction.Target.Transport, SipStack.NewBranch()))
            .Add(SipHeaderNames.MaxForwards, "70").Add(from).Add(SipHeaderNames.To, to)
            .Add(SipHeaderNames.CallId, transaction.Request.CallId).Add(SipHeaderNames.CSeq, $"{transaction.Request.CSeq.ToString(CultureInfo.InvariantCulture)} ACK");
        await stack.SendStatelessAsync(transaction.Target, ack.ToArray(), "ACK");
        var branch = SipStack.NewBranch();
        var bye = SipMessageWriter.Request("BYE", contact.ToString())
            .Add(SipHeaderNames.Via, stack.LocalVia(transaction.Target.Transport, branch))
            .Add(SipHeaderNames.MaxForwards, "70").Add(from).Add(SipHeaderNames.To, to)
            .Add(SipHeaderNames.CallId, transaction.Request.CallId).Add(SipHeaderNames.CSeq, $"{(transaction.Request.CSeq + 1).ToString(CultureInfo.InvariantCulture)} BYE");
        await stack.SendRequestAsync(bye, transaction.Target, router.Discard);
    }

    /// <summary>Ends a call from the edge's side (idle media, maximum length, shutdown): an answered one with BYE to both legs, one still ringing with 503 to the carrier and CANCEL to the target.</summary>
    public async Task HangUpAsync(string reason)
    {
        // Not answered yet: the carrier gets 503 (it may route the call elsewhere), the target a CANCEL, and the
        // record ends as a failure on the edge's side instead of staying in progress.
        if (await EndUnansweredAsync(503, "Service Unavailable", reasonHeader: true, CallOutcome.FromFinalResponse(503), reason))
        {
            return;
        }

        lock (gate)
        {
            if (State != CallState.Answered)
            {
                return;
            }

            State = CallState.Ended;
        }

        StopRetransmissions();
        await SendByeToCalleeAsync();
        await stack.SendRequestAsync(BuildCarrierRequest("BYE"), dialog!.CarrierDestination, router.Discard);
        router.End(this, CallStatus.ANSWER, null, reason);
    }

    /// <summary>The call is over: timers stop, the relay closes and its capture goes to the recording worker.</summary>
    public void Release()
    {
        Interlocked.Exchange(ref ringTimer, null)?.Dispose();
        StopRetransmissions();
        awaitingAck?.Clear();

        media?.Close();
    }

    /// <summary>Relays the final answer to a relayed in-dialog request back to the side that sent it.</summary>
    private sealed class RelayUser(B2BCall call, ServerTransaction origin, string localTag, SipEndPoint destination, bool answerFromCarrier) : IClientTransactionUser
    {
        private byte[]? ack;
        private (ClientTransaction Transaction, string To)? pendingAck;

        /// <summary>The ACK for the 2xx on this side, with the originator's answer when the re-INVITE was offerless.</summary>
        public void SendAck(ReadOnlyMemory<byte> body, string? contentType)
        {
            if (pendingAck is not { } pending)
            {
                return;
            }

            var request = pending.Transaction.Request;
            var writer = SipMessageWriter.Request("ACK", request.RequestUri!.ToString())
                .Add(SipHeaderNames.Via, call.stack.LocalVia(destination.Transport, SipStack.NewBranch()))
                .Add(SipHeaderNames.MaxForwards, "70")
                .Add(request.HeaderLine(SipHeaderNames.From))
                .Add(SipHeaderNames.To, pending.To)
                .Add(SipHeaderNames.CallId, request.CallId)
                .Add(SipHeaderNames.CSeq, $"{request.CSeq.ToString(CultureInfo.InvariantCulture)} ACK");
            if (!body.IsEmpty)
            {
                writer.WithBody(call.MediaBody(body, fromCarrier: !answerFromCarrier), contentType);
            }

            var bytes = writer.ToArray();
            ack = bytes;
            pending.Transaction.Acknowledge(bytes);
            _ = call.stack.SendStatelessAsync(destination, bytes, "ACK");
        }

        public void OnProvisional(ClientTransaction transaction, SipMessage response)
        {
        }

        public void OnFinal(ClientTransaction transaction, SipMessage response)
        {
            if (transaction.IsInvite && response.StatusCode is >= 200 and < 300)
            {
                pendingAck = (transaction, response.Header(SipHeaderNames.To) ?? string.Empty);
                if (origin.Request.Body.IsEmpty)
                {
                    // An offerless re-INVITE: the 2xx carries the offer and the originator's ACK the answer, so the ACK
                    // on this side waits for it and carries its body (RFC 3261 §13.2.1, RFC 3264 §4).
                    LazyInitializer.EnsureInitialized(ref call.awaitingAck)[(!answerFromCarrier, origin.Request.CSeq)] = this;
                }
                else
                {
                    // With an offer in the re-INVITE the ACK carries nothing: the edge ACKs this side at once and the
                    // originator's ACK is absorbed (CallRouter.OnAck).
                    SendAck(ReadOnlyMemory<byte>.Empty, null);
                }
            }

            var writer = origin.CreateResponse(response.StatusCode, response.ReasonPhrase, localTag)
                .Add(SipHeaderNames.Contact, $"<sip:edge@{call.stack.AdvertisedHostPort}>");
            foreach (var header in response.Headers)
            {
                if (header.Is(SipHeaderNames.SessionExpires) || header.Is(SipHeaderNames.Require))
                {
                    writer.Add(header);
                }
            }

            var body = response.StatusCode < 300 ? call.MediaBody(response.Body, answerFromCarrier) : response.Body;
            var bytes = writer.WithBody(body, response.Header(SipHeaderNames.ContentType)).ToArray();
            if (transaction.IsInvite && response.StatusCode is >= 200 and < 300 && !origin.ResponseTarget.IsReliable)
            {
                // The INVITE server transaction ends with its 2xx; the core retransmits it until the originator ACKs.
                call.RetransmitOk(toCarrier: !answerFromCarrier, origin.Request.CSeq, origin.ResponseTarget, bytes, call.stack.Time.GetTimestamp(), call.stack.Timers.Timeout64);
            }

            _ = origin.SendAsync(bytes, response.StatusCode);
        }

        public void OnTransactionFailed(ClientTransaction transaction, int statusCode, string reason) =>
            _ = origin.RespondAsync(statusCode, reason, localTag);

        /// <summary>§13.2.2.4: every retransmission of the 2xx gets the ACK again (the first one may have been lost).</summary>
        public void OnRetransmitted2xx(ClientTransaction transaction, SipMessage response)
        {
            if (ack is { } bytes)
            {
                _ = call.stack.SendStatelessAsync(destination, bytes, "ACK");
            }
        }
    }

    private static DateTimeOffset? Instant(ref long ticks) => Volatile.Read(ref ticks) is var t and not 0 ? new DateTimeOffset(t, TimeSpan.Zero) : null;
}

internal enum CallState
{
    Trying,
    Ringing,
    Cancelling,
    Answered,
    Ended,
}
