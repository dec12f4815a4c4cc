namespace Calltracking.Edge.Sip.Transport;

/// <summary>Where transports hand what they receive: one complete message (datagram or framed) and its source.</summary>
public interface ISipMessageSink
{
    void OnMessage(ReadOnlyMemory<byte> data, SipEndPoint source, bool datagram);

    /// <summary>A stream frame that can never be parsed (oversized or broken Content-Length); the connection is closed.</summary>
    void OnFramingError(SipEndPoint source, string reason);
}
