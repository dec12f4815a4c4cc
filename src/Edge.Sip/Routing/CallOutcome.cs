using Calltracking.Shared.Calls;

namespace Calltracking.Edge.Sip.Routing;

/// <summary>How a call's final SIP outcome maps to the API's call statuses.</summary>
public static class CallOutcome
{
    /// <summary>
    /// The status of a call that was not answered, from the final response of the callee leg.
    /// 486/600 busy; 408/480 no answer; 404/410/484/604 unreachable target; 603 declined; other 5xx congestion.
    /// </summary>
    public static CallStatus FromFinalResponse(int statusCode) => statusCode switch
    {
        >= 200 and < 300 => CallStatus.ANSWER,
        486 or 600 => CallStatus.BUSY,
        408 or 480 => CallStatus.NOANSWER,
        487 => CallStatus.CANCEL,
        404 or 410 or 484 or 604 => CallStatus.CHANUNAVAIL,
        603 => CallStatus.DONTCALL,
        503 => CallStatus.CONGESTION,
        >= 500 and < 600 => CallStatus.CONGESTION,
        _ => CallStatus.CHANUNAVAIL,
    };

    /// <summary>The status when the ring timeout expired before anyone answered.</summary>
    public static CallStatus RingTimeout => CallStatus.NOANSWER;

    /// <summary>The status when the caller hung up before the callee answered.</summary>
    public static CallStatus CallerCancelled => CallStatus.CANCEL;

    /// <summary>The status when no target could be reached at all (no gateway answered, DNS failed, nothing registered).</summary>
    public static CallStatus TargetUnreachable => CallStatus.CHANUNAVAIL;

    /// <summary>Whether a final response from a gateway means "try the next gateway" (RFC 3263 §4.3 and carrier practice).</summary>
    public static bool ShouldFailOver(int statusCode) => statusCode is 503 or 408 or 500 or 502 or 504;
}
