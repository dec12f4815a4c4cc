namespace Calltracking.Shared.Routing;

/// <summary>Everything the SIP edge needs to forward one call.</summary>
public sealed record RouteDecision
{
    public required long ProjectId { get; init; }
    public required long ScriptId { get; init; }
    public required long PhoneId { get; init; }
    /// <summary>The dialed pool number, normalised.</summary>
    public required string DialedNumber { get; init; }
    /// <summary>The caller, normalised unless the project switched normalisation off.</summary>
    public string? Caller { get; init; }
    public required RedirectType Redirect { get; init; }
    /// <summary>Phone number, SIP URI, or SIP account password (for <see cref="RedirectType.SipTrunk"/>), per <see cref="Redirect"/>.</summary>
    public required string RedirectValue { get; init; }
    /// <summary>For <see cref="RedirectType.SipTrunk"/>: the account user name (<c>&lt;project&gt;_&lt;postfix&gt;</c>).</summary>
    public string? SipAccount { get; init; }
    /// <summary>For static scripts: the channel marker sent as <c>x-roistat</c>.</summary>
    public string? StaticSource { get; init; }
    public TimeSpan RingTimeout { get; init; } = TimeSpan.FromSeconds(60);
    public ProjectCallSettings Settings { get; init; } = ProjectCallSettings.Default;
    public Attribution Attribution { get; init; } = Attribution.Unknown;
}
