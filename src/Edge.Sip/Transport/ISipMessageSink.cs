namespace Calltracking.Edge.Sip.Transport;

/// <summary>Where transports hand what they receive: one complete message (datagram or framed) and its source.</summary>
public interface ISipMessageSink
{
    void OnMessage(ReadOnlyMemory<byte> data, SipEndPoint source, bool datagram);

    /// <summary>A message with how long it waited in the kernel's receive queue before this call (UDP on Linux).</summary>
    void OnMessage(ReadOnlyMemory<byte> data, SipEndPoint source, bool datagram, TimeSpan queued) => OnMessage(data, source, datagram);

    /// <summary>A stream frame that can never be parsed (oversized or broken Content-Length); the connection is closed.</summary>
    void OnFramingError(SipEndPoint source, string reason);
}
