namespace Calltracking.Shared.Calls;

/// <summary>
/// What the SIP edge tells about each call's life. Implemented by call history (durable spool,
/// webhooks) and recording. Implementations must not block the SIP path: they enqueue and return.
/// </summary>
public interface ICallEvents
{
    void OnStarted(CallStarted e);
    void OnRinging(CallRinging e);
    void OnAnswered(CallAnswered e);
    void OnEnded(CallEnded e);
}
