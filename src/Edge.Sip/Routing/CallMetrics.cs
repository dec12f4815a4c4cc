using System.Diagnostics.Metrics;
using Calltracking.Shared.Calls;
using Calltracking.Shared.Routing;

namespace Calltracking.Edge.Sip.Routing;

/// <summary>The call path's instruments (names as in docs/operations.md).</summary>
public sealed class CallMetrics
{
    private readonly Counter<long> calls;
    private readonly UpDownCounter<long> active;
    private readonly Histogram<double> forwardLatency;
    private readonly Histogram<double> postDialDelay;
    private readonly Counter<long> registrations;
    private int draining;

    public CallMetrics(IMeterFactory meters)
    {
        var meter = meters.Create("Calltracking.Edge.Sip");
        calls = meter.CreateCounter<long>("edge_calls_total", description: "Calls ended, by status and redirect type");
        active = meter.CreateUpDownCounter<long>("edge_calls_active", description: "Calls in progress");
        forwardLatency = meter.CreateHistogram<double>("edge_sip_invite_forward_seconds", unit: "s", description: "Carrier INVITE received to INVITE sent to the target");
        postDialDelay = meter.CreateHistogram<double>("edge_call_post_dial_delay_seconds", unit: "s", description: "Carrier INVITE received to the first 180/183/200 from the target");
        registrations = meter.CreateCounter<long>("edge_sip_registrations_total", description: "REGISTER requests by outcome");
        meter.CreateObservableGauge("edge_draining", () => Volatile.Read(ref draining), description: "1 while the edge drains calls before stopping");
    }

    public void Draining(bool on) => Volatile.Write(ref draining, on ? 1 : 0);

    public static string Redirect(RedirectType? type) => type switch
    {
        RedirectType.Phone => "phone",
        RedirectType.Sip => "sip",
        RedirectType.SipTrunk => "sip_trunk",
        _ => "none",
    };

    public void Started() => active.Add(1);

    public void Ended(CallStatus status, RedirectType? redirect)
    {
        active.Add(-1);
        calls.Add(1, new KeyValuePair<string, object?>("status", status.ToString().ToLowerInvariant()), new KeyValuePair<string, object?>("redirect_type", Redirect(redirect)));
    }

    public void Forwarded(TimeSpan latency, RedirectType redirect) =>
        forwardLatency.Record(latency.TotalSeconds, new KeyValuePair<string, object?>("redirect_type", Redirect(redirect)));

    public void FirstResponse(TimeSpan delay, RedirectType redirect) =>
        postDialDelay.Record(delay.TotalSeconds, new KeyValuePair<string, object?>("redirect_type", Redirect(redirect)));

    public void Registration(string result) => registrations.Add(1, new KeyValuePair<string, object?>("result", result));
}
