namespace Calltracking.Shared.Routing;

/// <summary>Where a script sends its calls (the script's <c>redirect.type</c>).</summary>
public enum RedirectType
{
    /// <summary>A phone number reached through the outbound carrier trunk.</summary>
    Phone,
    /// <summary>An external SIP URI.</summary>
    Sip,
    /// <summary>A SIP account that the customer's PBX registers at the edge.</summary>
    SipTrunk,
}
