using System.Net;

namespace Calltracking.Edge.Sip.Transport;

public enum SipTransportKind
{
    Udp,
    Tcp,
}

/// <summary>A transport and remote address: where a message came from or goes to.</summary>
public readonly record struct SipEndPoint(SipTransportKind Transport, IPEndPoint Address)
{
    public bool IsReliable => Transport == SipTransportKind.Tcp;

    public string TransportName => Transport == SipTransportKind.Tcp ? "TCP" : "UDP";

    public override string ToString() => $"{TransportName.ToLowerInvariant()}:{Address}";
}
