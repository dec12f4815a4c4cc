namespace Calltracking.Edge.Sip.Routing;

/// <summary>Section <c>Routing</c>: who may send calls, where <c>phone</c> redirects go, and call limits.</summary>
public sealed class RoutingOptions
{
    public const string Section = "Routing";

    /// <summary>Carriers allowed to send INVITEs (<c>Routing__Carriers__0__Cidr</c>, …). Everything else gets 403.</summary>
    public List<CarrierOptions> Carriers { get; set; } = [];

    /// <summary>
    /// Outbound carrier gateways for <c>phone</c> redirects, tried in order (<c>host:port</c>, optionally
    /// <c>;transport=tcp</c>); the next is tried on 503, 408 or no answer (<c>Routing__OutboundGateways__0</c>).
    /// </summary>
    public List<string> OutboundGateways { get; set; } = [];

    /// <summary>Seconds a gateway may stay silent before the next is tried (<c>Routing__GatewayTimeoutSeconds</c>).</summary>
    public int GatewayTimeoutSeconds { get; set; } = 4;

    /// <summary>Ring timeout when the script sets none (<c>Routing__DefaultRingTimeoutSeconds</c>).</summary>
    public int DefaultRingTimeoutSeconds { get; set; } = 60;

    /// <summary>
    /// Longest an answered call may last before the edge ends it with BYE to both legs (<c>Routing__MaxCallSeconds</c>;
    /// 0: no limit). A call whose two ends both vanished without a BYE (and negotiated no session timer, whose refreshes
    /// the endpoints do) would otherwise hold its state, and its record ACTIVE, for as long as the edge runs.
    /// </summary>
    public int MaxCallSeconds { get; set; } = 14_400;

    /// <summary>Calls in progress above which new INVITEs get 503 with Retry-After (<c>Routing__MaxActiveCalls</c>).</summary>
    public int MaxActiveCalls { get; set; } = 20_000;

    /// <summary>
    /// A new INVITE that waited longer than this in the kernel's receive queue gets 503 with Retry-After at once
    /// (<c>Routing__MaxQueueDelayMilliseconds</c>; 0 turns it off). A backlog that long means the edge is far behind:
    /// the carrier has retransmitted the INVITE twice (T1 is 500 ms) and is about to try another route, so a quick 503
    /// serves it better than a late answer. Lower values refuse calls that would still have been served (docs/sip.md,
    /// Overload).
    /// </summary>
    public int MaxQueueDelayMilliseconds { get; set; } = 1000;

    /// <summary>INVITEs per second allowed from one source address (<c>Routing__InvitesPerSecondPerSource</c>).</summary>
    public int InvitesPerSecondPerSource { get; set; } = 2_000;

    /// <summary>REGISTERs per second allowed from one source address (<c>Routing__RegistersPerSecondPerSource</c>).</summary>
    public int RegistersPerSecondPerSource { get; set; } = 50;

    /// <summary>Seconds calls in progress may go on after a shutdown signal before they are hung up (<c>Routing__DrainTimeoutSeconds</c>).</summary>
    public int DrainTimeoutSeconds { get; set; } = 30;

    /// <summary>Digest realm of the registrar for <c>sip_trunk</c> accounts (<c>Routing__RegistrarRealm</c>).</summary>
    public string RegistrarRealm { get; set; } = "calltracking-edge";

    /// <summary>
    /// Secret that signs registrar nonces, shared by all edge instances so a PBX challenged by one may answer another
    /// (<c>Routing__RegistrarSecret</c>); empty means a random secret per process (fine for a single instance).
    /// </summary>
    public string RegistrarSecret { get; set; } = string.Empty;

    /// <summary>
    /// Digest algorithms offered, in order of preference (<c>Routing__RegistrarAlgorithms__0</c>…); empty means SHA-256
    /// then MD5 (RFC 8760). (Empty rather than pre-filled because configuration binding appends to arrays.)
    /// </summary>
    public string[] RegistrarAlgorithms { get; set; } = [];

    /// <summary>Longest registration granted, seconds (<c>Routing__MaxRegistrationSeconds</c>).</summary>
    public int MaxRegistrationSeconds { get; set; } = 3600;

    /// <summary>Shortest registration accepted, seconds; shorter gets 423 (<c>Routing__MinRegistrationSeconds</c>).</summary>
    public int MinRegistrationSeconds { get; set; } = 60;

    /// <summary>Name of this edge instance, kept with registrations (<c>Routing__InstanceName</c>); empty means the host name.</summary>
    public string InstanceName { get; set; } = string.Empty;
}

/// <summary>One trusted carrier.</summary>
public sealed class CarrierOptions
{
    /// <summary>Source addresses, as CIDR (<c>203.0.113.0/24</c>) or a single address.</summary>
    public string Cidr { get; set; } = string.Empty;

    /// <summary>Where the carrier puts the dialed number: <c>RequestUri</c> (default) or <c>To</c>.</summary>
    public DialedNumberSource DialedNumberFrom { get; set; } = DialedNumberSource.RequestUri;
}

public enum DialedNumberSource
{
    RequestUri,
    To,
}
