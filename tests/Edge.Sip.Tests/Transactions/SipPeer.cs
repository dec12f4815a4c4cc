using System.Net;
using System.Net.Sockets;
using System.Text;
using Calltracking.Edge.Sip.Messages;

namespace Calltracking.Edge.Sip.Tests.Transactions;

/// <summary>A plain UDP socket on loopback playing a SIP peer: it sends raw text and reads what the edge sends.</summary>
internal sealed class SipPeer : IDisposable
{
    private readonly Socket socket = new(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);

    public SipPeer() => socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));

    public IPEndPoint EndPoint => (IPEndPoint)socket.LocalEndPoint!;

    public Task SendAsync(IPEndPoint to, string text) => socket.SendToAsync(Encoding.UTF8.GetBytes(text.ReplaceLineEndings("\r\n")), to);

    public Task SendAsync(IPEndPoint to, byte[] bytes) => socket.SendToAsync(bytes, to);

    public async Task<SipMessage?> ReceiveAsync(TimeSpan timeout)
    {
        var buffer = new byte[65536];
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            var result = await socket.ReceiveFromAsync(buffer, SocketFlags.None, new IPEndPoint(IPAddress.Any, 0), cts.Token);
            var bytes = buffer.AsSpan(0, result.ReceivedBytes).ToArray();
            return SipParser.Parse(bytes, true, out var error) ?? error?.Partial;
        }
        catch (OperationCanceledException)
        {
            return null;
        }
    }

    public static string Options(IPEndPoint peer, string branch = "z9hG4bKopt1", string callId = "opt-1") => $"""
        OPTIONS sip:edge@127.0.0.1 SIP/2.0
        Via: SIP/2.0/UDP 10.9.9.9:{peer.Port};branch={branch};rport
        Max-Forwards: 70
        To: <sip:edge@127.0.0.1>
        From: <sip:carrier@10.9.9.9>;tag=c1
        Call-ID: {callId}
        CSeq: 1 OPTIONS
        Content-Length: 0


        """;

    public void Dispose() => socket.Dispose();
}
