namespace Calltracking.Shared.Calls;

/// <summary>The nine call statuses of the call-tracking API, spelled as the API spells them.</summary>
public enum CallStatus
{
    /// <summary>The call is in progress.</summary>
    ACTIVE,
    ANSWER,
    BUSY,
    NOANSWER,
    CANCEL,
    CONGESTION,
    CHANUNAVAIL,
    DONTCALL,
    TORTURE,
}
