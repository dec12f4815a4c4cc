using System.Text;
using Calltracking.Edge.Sip.Messages;

namespace Calltracking.Edge.Sip.Tests.Messages;

internal static class SipText
{
    /// <summary>Message text with '\n' line ends turned into CRLF, as on the wire.</summary>
    public static byte[] Wire(string text) => Encoding.UTF8.GetBytes(text.ReplaceLineEndings("\n").Replace("\n", "\r\n", StringComparison.Ordinal));

    /// <summary>Message text that must parse (line ends made CRLF); a failure names the parser's reason.</summary>
    public static SipMessage Parsed(string text, bool datagram = true)
    {
        var message = SipParser.Parse(Wire(text), datagram, out var error);
        Assert.True(message is not null, error?.Reason);
        return message!;
    }

    public const string Invite = """
        INVITE sip:74951234567@edge.example.net SIP/2.0
        Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK776asdhds;rport
        Max-Forwards: 70
        To: <sip:74951234567@edge.example.net>
        From: "Carrier" <sip:79161234567@carrier.example>;tag=1928301774
        Call-ID: a84b4c76e66710@pc33.carrier.example
        CSeq: 314159 INVITE
        Contact: <sip:79161234567@192.0.2.10:5060>
        P-Asserted-Identity: <sip:+79161234567@carrier.example>
        X-Carrier-Trace: 7f00-aa
        Content-Type: application/sdp
        Content-Length: 5

        v=0

        """;
}
