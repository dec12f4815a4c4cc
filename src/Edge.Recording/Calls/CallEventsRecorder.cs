using Calltracking.Shared.Calls;
using Calltracking.Shared.Routing;

namespace Calltracking.Edge.Recording.Calls;

/// <summary>The <see cref="ICallEvents"/> port: every event goes to the durable spool; nothing here waits on PostgreSQL.</summary>
public sealed class CallEventsRecorder(CallSpool spool) : ICallEvents
{
    public void OnStarted(CallStarted e)
    {
        var route = e.Route;
        route.Attribution.Fields.TryGetValue("city", out var city);
        spool.Append(new SpoolEvent
        {
            Kind = "started",
            CallId = e.CallId,
            At = e.At,
            ProjectId = route.ProjectId,
            ScriptId = route.ScriptId,
            PhoneId = route.PhoneId,
            Callee = route.DialedNumber,
            Caller = route.Caller,
            CallerRaw = e.CallerRaw,
            VisitId = route.Attribution.VisitId,
            Marker = route.Attribution.Marker ?? route.StaticSource,
            Confidence = route.Attribution.Confidence.ToString().ToLowerInvariant(),
            StaticSource = route.StaticSource,
            RedirectType = route.Redirect switch { RedirectType.Sip => "sip", RedirectType.SipTrunk => "sip_trunk", _ => "phone" },
            Target = e.Target,
            SipCallId = e.SipCallId,
            City = city,
            Recorded = e.Recorded,
        });
    }

    // The end repeats both times (CallEnded.RingingAt/AnsweredAt), so these two only matter when they share a segment with the start.
    public void OnRinging(CallRinging e) => spool.Append(new SpoolEvent { Kind = "ringing", CallId = e.CallId, At = e.At, RepeatedAtEnd = true });

    public void OnAnswered(CallAnswered e) => spool.Append(new SpoolEvent { Kind = "answered", CallId = e.CallId, At = e.At, RepeatedAtEnd = true });

    public void OnEnded(CallEnded e) => spool.Append(new SpoolEvent
    {
        Kind = "ended",
        CallId = e.CallId,
        At = e.At,
        Status = e.Status.ToString(),
        SipCode = e.SipCode,
        Reason = e.Reason,
        RingingAt = e.RingingAt,
        AnsweredAt = e.AnsweredAt,
    });
}
