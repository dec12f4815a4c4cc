using System.Collections.Concurrent;
using System.Net;
using Calltracking.Edge.Sip.Messages;
using Calltracking.Edge.Sip.Registrar;
using Calltracking.Edge.Sip.Transactions;
using Calltracking.Edge.Sip.Transport;
using Calltracking.Shared.Calls;
using Calltracking.Shared.Media;
using Calltracking.Shared.Phones;
using Calltracking.Shared.Routing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Calltracking.Edge.Sip.Routing;

/// <summary>
/// The B2BUA's front door: takes carrier INVITEs on pool numbers, checks who sent them, asks the number pool where
/// the call goes and whose visit it is, and hands it to a <see cref="B2BCall"/>. It also routes in-dialog requests
/// to their call, answers OPTIONS and passes REGISTER to the registrar.
/// </summary>
public sealed partial class CallRouter : ISipRequestHandler
{
    private readonly SipStack stack;
    private readonly IRouteResolver resolver;
    private readonly CallTargets targets;
    private readonly SipRegistrar registrar;
    private readonly RoutingOptions options;
    private readonly TrustedSources carriers;
    private readonly TrustedSources dialedInTo;
    private readonly SourceRateLimiter inviteLimiter;
    private readonly SourceRateLimiter registerLimiter;
    private readonly OptionsResponder optionsResponder = new();
    // Dialogs by Call-ID and local tag. An ended call leaves its keys with no call for 64·T1, so late in-dialog
    // requests still get their answer; nothing of the call is kept for that.
    private readonly ConcurrentDictionary<DialogId, B2BCall> dialogs = new(DialogIdComparer.Instance);
    private readonly ConcurrentDictionary<DialogId, B2BCall>.AlternateLookup<ReadOnlySpan<char>> dialogLookup;
    private readonly LingerTable endedDialogs;
    private readonly ConcurrentDictionary<Guid, B2BCall> calls = new();
    private readonly ILogger<CallRouter> logger;

    public CallRouter(
        SipStack stack,
        IRouteResolver resolver,
        CallTargets targets,
        SipRegistrar registrar,
        ICallEvents events,
        CallMetrics metrics,
        Media.MediaRelay media,
        IEnumerable<ICallRecorder> recorders,
        IOptions<RoutingOptions> options,
        TimeProvider time,
        ILogger<CallRouter> logger)
    {
        this.stack = stack;
        this.resolver = resolver;
        this.targets = targets;
        this.registrar = registrar;
        this.options = options.Value;
        this.logger = logger;
        Events = events;
        Metrics = metrics;
        Media = media;
        Recorder = recorders.LastOrDefault();
        carriers = TrustedSources.Parse(this.options.Carriers.Select(c => c.Cidr));
        dialedInTo = TrustedSources.Parse(this.options.Carriers.Where(c => c.DialedNumberFrom == DialedNumberSource.To).Select(c => c.Cidr));
        inviteLimiter = new SourceRateLimiter(this.options.InvitesPerSecondPerSource, time);
        dialogLookup = dialogs.GetAlternateLookup<ReadOnlySpan<char>>();
        endedDialogs = new LingerTable(stack.Time, [stack.Timers.Timeout64]);
        registerLimiter = new SourceRateLimiter(this.options.RegistersPerSecondPerSource, time);
    }

    internal ICallEvents Events { get; }

    internal CallMetrics Metrics { get; }

    internal Media.MediaRelay Media { get; }

    /// <summary>How long an answered call may last (<see cref="RoutingOptions.MaxCallSeconds"/>); zero when unlimited.</summary>
    internal TimeSpan MaxCallDuration => TimeSpan.FromSeconds(options.MaxCallSeconds);

    /// <summary>The end reason of a call that reached <see cref="MaxCallDuration"/>.</summary>
    internal const string MaxDurationReason = "max call duration";

    /// <summary>Where recorded calls' captures go; null when no recording module is present (media is never relayed then).</summary>
    internal ICallRecorder? Recorder { get; }

    internal IClientTransactionUser Discard { get; } = new DiscardingUser();

    public int ActiveCalls => calls.Count;

    /// <summary>Calls in progress that the target has answered (a walk over the calls, for tests; not for the SIP path).</summary>
    public int AnsweredCalls => calls.Values.Count(c => c.State == CallState.Answered);

    /// <summary>True after a shutdown signal: new calls and OPTIONS get 503.</summary>
    public bool Draining { get; private set; }

    /// <summary>Signalled whenever a call ends (the shutdown waits on it instead of polling).</summary>
    internal SemaphoreSlim CallsChanged { get; } = new(0);

    public void StartDraining()
    {
        Draining = true;
        Metrics.Draining(true);
    }

    internal static string DialogKey(string callId, string? localTag) => new DialogId(callId, localTag ?? string.Empty).ToString();

    /// <summary>
    /// <see cref="DialogKey"/> of an in-dialog request written in place from its Call-ID and To tag bytes; false when
    /// its To is not plain or the key does not fit (the caller builds it), with <paramref name="tagged"/> false when
    /// the request has no To tag at all.
    /// </summary>
    internal static bool TryWriteDialogKey(SipMessage request, Span<char> destination, out int written, out bool tagged)
    {
        written = 0;
        tagged = false;
        if (!request.TryReadToTag(out var tag))
        {
            return false;
        }

        tagged = !tag.IsEmpty;
        if (!tagged)
        {
            return true;
        }

        var callId = request.CallIdBytes;
        if (callId.Length + 1 + tag.Length > destination.Length
            || !System.Text.Encoding.UTF8.TryGetChars(callId, destination, out var n)
            || n + 1 + tag.Length > destination.Length)
        {
            return false;
        }

        destination[n] = '|';
        if (!System.Text.Encoding.UTF8.TryGetChars(tag, destination[(n + 1)..], out var t))
        {
            return false;
        }

        written = n + 1 + t;
        return true;
    }

    /// <summary>
    /// The dialog key of an in-dialog request: written into <paramref name="buffer"/> when its To is plain, else
    /// built from the parsed To; empty with <paramref name="tagged"/> false when the To has no tag.
    /// </summary>
    private static ReadOnlySpan<char> DialogKeyOf(SipMessage request, Span<char> buffer, out bool tagged)
    {
        if (TryWriteDialogKey(request, buffer, out var written, out tagged))
        {
            return buffer[..written];
        }

        tagged = request.To?.Tag is not null;
        return tagged ? DialogKey(request.CallId, request.To!.Tag) : default;
    }

    [System.Runtime.CompilerServices.SkipLocalsInit] // the key buffer is written before it is read
    public void OnRequest(ServerTransaction transaction)
    {
        var request = transaction.Request;
        Span<char> buffer = stackalloc char[DialogId.Room];
        var key = DialogKeyOf(request, buffer, out var tagged);
        if (tagged)
        {
            if (!dialogLookup.TryGetValue(key, out var call) && endedDialogs.Contains(key))
            {
                // The call has ended: a BYE that crossed ours is answered as done, anything else finds no dialog.
                var tag = request.To!.Tag;
                _ = request.Method == "BYE"
                    ? transaction.RespondAsync(200, "OK", tag)
                    : transaction.RespondAsync(481, "Call/Transaction Does Not Exist", tag);
                return;
            }

            if (call is not null)
            {
                Observe(call.OnInDialogRequestAsync(transaction, fromCarrier: call.CarrierKey.Matches(key)), request.Method);
                return;
            }

            _ = transaction.RespondAsync(481, "Call/Transaction Does Not Exist", request.To!.Tag);
            return;
        }

        switch (request.Method)
        {
            case "INVITE":
                Observe(OnInviteAsync(transaction), "INVITE");
                return;
            case "REGISTER":
                if (!registerLimiter.TryAcquire(transaction.Source.Address.Address))
                {
                    stack.Metrics.Rejected("rate_limited");
                    _ = transaction.SendAsync(transaction.CreateResponse(503, "Service Unavailable", SipStack.NewTag()).Add(SipHeaderNames.RetryAfter, "5").ToArray(), 503);
                    return;
                }

                _ = registrar.HandleAsync(transaction);
                return;
            case "OPTIONS" when Draining:
                // Carriers probe with OPTIONS: a 503 tells them to send calls elsewhere while this edge drains.
                _ = transaction.SendAsync(transaction.CreateResponse(503, "Service Unavailable", SipStack.NewTag()).Add(SipHeaderNames.RetryAfter, "30").ToArray(), 503);
                return;
            case "OPTIONS":
                optionsResponder.OnRequest(transaction);
                return;
            case "BYE" or "UPDATE" or "INFO":
                _ = transaction.RespondAsync(481, "Call/Transaction Does Not Exist", SipStack.NewTag());
                return;
            default:
                _ = transaction.SendAsync(transaction.CreateResponse(405, "Method Not Allowed", SipStack.NewTag()).Add(SipHeaderNames.Allow, OptionsResponder.Allow).ToArray(), 405);
                return;
        }
    }

    private async Task OnInviteAsync(ServerTransaction transaction)
    {
        var request = transaction.Request;
        var source = transaction.Source.Address.Address;
        if (!carriers.Contains(source))
        {
            stack.Metrics.Rejected("forbidden_source");
            LogUntrusted(logger, source);
            await transaction.RespondAsync(403, "Forbidden", SipStack.NewTag());
            return;
        }

        if (!inviteLimiter.TryAcquire(source))
        {
            stack.Metrics.Rejected("rate_limited");
            await transaction.SendAsync(transaction.CreateResponse(503, "Service Unavailable", SipStack.NewTag()).Add(SipHeaderNames.RetryAfter, "1").ToArray(), 503);
            return;
        }

        if (Draining)
        {
            stack.Metrics.Rejected("draining");
            await transaction.SendAsync(transaction.CreateResponse(503, "Service Unavailable", SipStack.NewTag()).Add(SipHeaderNames.RetryAfter, "30").ToArray(), 503);
            return;
        }

        if (calls.Count >= options.MaxActiveCalls)
        {
            stack.Metrics.Rejected("overloaded");
            await transaction.SendAsync(transaction.CreateResponse(503, "Service Unavailable", SipStack.NewTag()).Add(SipHeaderNames.RetryAfter, "5").ToArray(), 503);
            return;
        }

        if (options.MaxQueueDelayMilliseconds > 0 && request.Queued.TotalMilliseconds > options.MaxQueueDelayMilliseconds)
        {
            // Behind by more than the carrier will wait for a 100: refused at once, so the backlog drains.
            stack.Metrics.Rejected("queue_delay");
            await transaction.SendAsync(transaction.CreateResponse(503, "Service Unavailable", SipStack.NewTag()).Add(SipHeaderNames.RetryAfter, "1").ToArray(), 503);
            return;
        }

        await transaction.RespondAsync(100, "Trying");
        var dialedText = DialedNumberFrom(request, source);
        if (dialedText is null || !PhoneNumber.TryNormalize(dialedText, true, out var dialed, out _))
        {
            stack.Metrics.Rejected("unknown_number");
            await transaction.RespondAsync(404, "Not Found", SipStack.NewTag());
            return;
        }

        var callerRaw = request.FirstAddress(SipHeaderNames.PAssertedIdentity)?.Uri.User ?? request.From?.Uri.User;
        RouteLookup lookup;
        try
        {
            lookup = await resolver.ResolveAsync(new RouteQuery(dialed, callerRaw, stack.Time.GetUtcNow()), CancellationToken.None);
        }
        catch (Exception ex)
        {
            // The catalogue is unreachable and the number was not cached: nothing to route to.
            LogRouteFailed(logger, ex, dialed);
            await transaction.SendAsync(transaction.CreateResponse(503, "Service Unavailable", SipStack.NewTag()).Add(SipHeaderNames.RetryAfter, "10").ToArray(), 503);
            return;
        }

        switch (lookup.Status)
        {
            case RouteLookupStatus.UnknownNumber:
                stack.Metrics.Rejected("unknown_number");
                await transaction.RespondAsync(404, "Not Found", SipStack.NewTag());
                return;
            case RouteLookupStatus.ScriptDisabled:
                await transaction.RespondAsync(480, "Temporarily Unavailable", SipStack.NewTag());
                return;
        }

        var route = lookup.Decision!;
        IReadOnlyList<CallTarget> callTargets;
        try
        {
            callTargets = await targets.ResolveAsync(route, CancellationToken.None);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            LogRouteFailed(logger, ex, dialed);
            callTargets = [];
        }

        var call = new B2BCall(this, stack, transaction, route, callTargets, callerRaw);
        calls[call.Id] = call;
        dialogs[call.CarrierKey] = call;
        Metrics.Started();
        Events.OnStarted(new CallStarted(call.Id, request.CallId, call.StartedAt, route, callerRaw,
            callTargets.Count > 0 ? callTargets[0].RequestUri.ToString() : string.Empty, call.Recorded));
        await call.StartAsync();
    }

    private string? DialedNumberFrom(SipMessage request, IPAddress source)
    {
        return dialedInTo.Count > 0 && dialedInTo.Contains(source) ? request.To?.Uri.User : request.RequestUri?.User;
    }

    internal void Register(B2BCall call, bool callee)
    {
        if (callee)
        {
            dialogs[call.CalleeKey] = call;
            if (!calls.ContainsKey(call.Id))
            {
                // Ended while the target answered (a cancel race): the key only lingers, as End leaves the others.
                LetLinger(call.CalleeKey, call);
            }
        }
    }

    internal void End(B2BCall call, CallStatus status, int? sipCode, string? reason)
    {
        if (!calls.TryRemove(call.Id, out _))
        {
            return;
        }

        call.Release();
        Metrics.Ended(status, call.Route.Redirect);
        CallsChanged.Release();
        Events.OnEnded(new CallEnded(call.Id, stack.Time.GetUtcNow(), status, sipCode, reason) { RingingAt = call.RingingAt, AnsweredAt = call.AnsweredAt });
        // The dialogs' keys stay a while without the call, so late in-dialog requests still get their answer.
        LetLinger(call.CarrierKey, call);
        LetLinger(call.CalleeKey, call);
    }

    /// <summary>An ended call's dialog key stays for 64·T1 without the call (if the key is still the call's).</summary>
    [System.Runtime.CompilerServices.SkipLocalsInit] // the key buffer is written before it is read
    private void LetLinger(DialogId key, B2BCall call)
    {
        // In the ended table before out of the live one, so a request in between finds one of them.
        if (dialogs.TryGetValue(key, out var current) && current == call)
        {
            Span<char> buffer = stackalloc char[DialogId.Room];
            endedDialogs.Add(key.Text(buffer), stack.Timers.Timeout64);
            dialogs.TryRemove(new KeyValuePair<DialogId, B2BCall>(key, call));
        }
    }

    [System.Runtime.CompilerServices.SkipLocalsInit] // the key buffer is written before it is read
    public void OnAck(SipMessage ack, SipEndPoint source)
    {
        Span<char> buffer = stackalloc char[DialogId.Room];
        var key = DialogKeyOf(ack, buffer, out var tagged);
        if (tagged && dialogLookup.TryGetValue(key, out var call))
        {
            call.OnAck(fromCarrier: call.CarrierKey.Matches(key), ack);
        }
    }

    public void OnStrayResponse(SipMessage response, SipEndPoint source)
    {
    }

    /// <summary>Ends every call (shutdown): answered ones with BYE on both sides, ringing ones with 503 to the carrier and CANCEL to the target.</summary>
    public async Task HangUpAllAsync(string reason)
    {
        foreach (var call in calls.Values)
        {
            await call.HangUpAsync(reason);
        }
    }

    /// <summary>Fire-and-forget work on the SIP path, with failures logged instead of lost.</summary>
    internal void Observe(Task task, string what)
    {
        if (task.IsCompleted)
        {
            if (task.Exception is { } done)
            {
                LogHandlerFailed(logger, done.GetBaseException(), what);
            }

            return;
        }

        task.ContinueWith(t => LogHandlerFailed(logger, t.Exception!.GetBaseException(), what), CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
    }

    [LoggerMessage(EventId = 3503, Level = LogLevel.Error, Message = "Handling {What} failed")]
    private static partial void LogHandlerFailed(ILogger logger, Exception exception, string what);

    [LoggerMessage(EventId = 3501, Level = LogLevel.Warning, Message = "INVITE from untrusted source {Source} refused")]
    private static partial void LogUntrusted(ILogger logger, IPAddress source);

    [LoggerMessage(EventId = 3502, Level = LogLevel.Error, Message = "Routing a call to {Number} failed")]
    private static partial void LogRouteFailed(ILogger logger, Exception exception, string number);

    private sealed class DiscardingUser : IClientTransactionUser
    {
        public void OnProvisional(ClientTransaction transaction, SipMessage response)
        {
        }

        public void OnFinal(ClientTransaction transaction, SipMessage response)
        {
        }

        public void OnTransactionFailed(ClientTransaction transaction, int statusCode, string reason)
        {
        }

        public void OnRetransmitted2xx(ClientTransaction transaction, SipMessage response)
        {
        }
    }
}
