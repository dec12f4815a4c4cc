namespace Calltracking.Edge.Sip.Transactions;

/// <summary>RFC 3261 timer values (§17, Table 4).</summary>
public sealed record SipTimers(TimeSpan T1, TimeSpan T2, TimeSpan T4)
{
    public static SipTimers Default { get; } = new(TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(4), TimeSpan.FromSeconds(5));

    /// <summary>Timers B, F, H, J, L, M: 64·T1.</summary>
    public TimeSpan Timeout64 => T1 * 64;

    /// <summary>Timer D for unreliable transports: at least 32 s.</summary>
    public TimeSpan TimerD => TimeSpan.FromSeconds(32) > Timeout64 ? TimeSpan.FromSeconds(32) : Timeout64;
}
