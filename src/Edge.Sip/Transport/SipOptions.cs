namespace Calltracking.Edge.Sip.Transport;

/// <summary>Section <c>Sip</c>: listeners, limits and RFC 3261 timer values.</summary>
public sealed class SipOptions
{
    public const string Section = "Sip";

    /// <summary>UDP listen address <c>ip:port</c> (<c>Sip__UdpListen</c>); empty disables UDP.</summary>
    public string UdpListen { get; set; } = "127.0.0.1:5060";

    /// <summary>TCP listen address <c>ip:port</c> (<c>Sip__TcpListen</c>); empty disables TCP.</summary>
    public string TcpListen { get; set; } = "127.0.0.1:5060";

    /// <summary>
    /// The address written into Via, Contact and Record-Route (<c>Sip__AdvertisedAddress</c>); empty means the UDP
    /// listen address. Set it when the edge listens on 0.0.0.0 or behind a NAT.
    /// </summary>
    public string AdvertisedAddress { get; set; } = string.Empty;

    /// <summary>UDP receive threads, each blocked in the receive on the socket (<c>Sip__UdpReceiveLoops</c>); 0 means one per core.</summary>
    public int UdpReceiveLoops { get; set; }

    /// <summary>Largest message accepted, bytes (<c>Sip__MaxMessageSize</c>); larger gets 513 or is dropped.</summary>
    public int MaxMessageSize { get; set; } = 65_535;

    /// <summary>Most TCP connections at once (<c>Sip__MaxTcpConnections</c>).</summary>
    public int MaxTcpConnections { get; set; } = 10_000;

    /// <summary>Seconds a TCP connection may stay silent before it is closed (<c>Sip__TcpIdleTimeoutSeconds</c>).</summary>
    public int TcpIdleTimeoutSeconds { get; set; } = 300;

    /// <summary>RFC 3261 T1 in milliseconds (<c>Sip__T1Milliseconds</c>).</summary>
    public int T1Milliseconds { get; set; } = 500;

    /// <summary>RFC 3261 T2 in milliseconds (<c>Sip__T2Milliseconds</c>).</summary>
    public int T2Milliseconds { get; set; } = 4000;

    /// <summary>RFC 3261 T4 in milliseconds (<c>Sip__T4Milliseconds</c>).</summary>
    public int T4Milliseconds { get; set; } = 5000;

    /// <summary>Value of the Server / User-Agent header (<c>Sip__ServerHeader</c>).</summary>
    public string ServerHeader { get; set; } = "Calltracking-Edge";
}
