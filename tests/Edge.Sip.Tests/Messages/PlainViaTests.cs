using System.Text;
using Calltracking.Edge.Sip.Messages;
using Calltracking.Edge.Sip.Transactions;

namespace Calltracking.Edge.Sip.Tests.Messages;

/// <summary>The top Via read in place for transaction keys gives what the parsed Via gives, or declines.</summary>
public sealed class PlainViaTests
{
    [Theory]
    [InlineData("SIP/2.0/UDP 192.0.2.2:5060;branch=z9hG4bKa1;rport")]
    [InlineData("SIP/2.0/udp edge.Example.net;rport;BRANCH=z9hG4bKa2")]
    [InlineData("SIP/2.0/TCP [2001:db8::1]:5070;branch=z9hG4bKa3;received=198.51.100.1")]
    [InlineData("SIP/2.0/UDP 192.0.2.2;branch=z9hG4bKa4, SIP/2.0/UDP 192.0.2.3;branch=z9hG4bKb")]
    [InlineData("  SIP/2.0/UDP 192.0.2.2:65535;branch=z9hG4bKa5")]
    [InlineData("SIP/2.0/UDP 192.0.2.2;branch=1234;branch=z9hG4bKsecond")]
    public void A_plain_via_is_read_in_place_as_the_parser_reads_it(string text)
    {
        Assert.True(ViaHeader.TryReadPlain(Encoding.ASCII.GetBytes(text), out var sentBy, out var branch));
        var comma = text.IndexOf(',', StringComparison.Ordinal);
        var parsed = ViaHeader.Parse(comma < 0 ? text : text[..comma], out var error);
        Assert.True(parsed is not null, error);
        Assert.Equal(parsed!.SentBy, Encoding.ASCII.GetString(sentBy));
        Assert.Equal(parsed.Branch, Encoding.ASCII.GetString(branch));
    }

    [Theory]
    [InlineData("SIP / 2.0 / UDP 192.0.2.2;branch=z9hG4bKx")] // spaces in the protocol
    [InlineData("SIP/2.0/UDP 192.0.2.2 : 5060;branch=z9hG4bKx")] // spaces around the colon
    [InlineData("SIP/2.0/UDP  192.0.2.2;branch=z9hG4bKx")] // two spaces
    [InlineData("SIP/2.0/UDP 192.0.2.2:05060;branch=z9hG4bKx")] // a leading zero the parser would drop
    [InlineData("SIP/2.0/UDP 192.0.2.2:0;branch=z9hG4bKx")]
    [InlineData("SIP/2.0/UDP 192.0.2.2:70000;branch=z9hG4bKx")]
    [InlineData("SIP/2.0/UDP 192.0.2.2:-1;branch=z9hG4bKx")]
    [InlineData("SIP/2.0/UDP 192.0.2.2 ;branch=z9hG4bKx")] // space before the parameters
    [InlineData("SIP/2.0/UDP 192.0.2.2;branch = z9hG4bKx")]
    [InlineData("SIP/2.0/UDP 192.0.2.2;x=\"a;b\";branch=z9hG4bKx")] // quoting
    [InlineData("SIP/2.0/UDP 192.0.2.2;;branch=z9hG4bKx")] // an empty parameter
    [InlineData("SIP/2.0/UDP 192.0.2.2;branch=")]
    [InlineData("SIP/2.0/UDP 192.0.2.2;rport")] // no branch
    [InlineData("SIP/2.0/UDP user@host;branch=z9hG4bKx")]
    [InlineData("SIP/2.0/UDP [zz::1];branch=z9hG4bKx")]
    [InlineData("SIP/2.0/UDP [2001:db8::1]x;branch=z9hG4bKx")]
    [InlineData("SIP/2.0/UDP 192.0.2.2;branch=z9hG4bKé")] // not ASCII
    [InlineData("SIP/2.0 192.0.2.2;branch=z9hG4bKx")]
    [InlineData("")]
    public void Anything_else_is_left_to_the_parser(string text) =>
        Assert.False(ViaHeader.TryReadPlain(Encoding.UTF8.GetBytes(text), out _, out _));

    [Theory]
    [InlineData("INVITE", "SIP/2.0/UDP 192.0.2.2:5060;branch=z9hG4bKk1;rport")]
    [InlineData("ACK", "SIP/2.0/UDP 192.0.2.2:5060;branch=z9hG4bKk1")]
    [InlineData("BYE", "SIP/2.0/TCP [2001:db8::1];branch=z9hG4bKk2")]
    public void A_server_key_written_in_place_is_the_key_the_parsed_via_gives(string method, string via)
    {
        var request = Request(method, via);
        Span<char> buffer = stackalloc char[TransactionKey.MaxWrittenLength];

        Assert.True(TransactionKey.TryWriteServer(request, buffer, out var written));
        Assert.Equal(TransactionKey.ForServer(Request(method, via)), buffer[..written].ToString());
    }

    [Fact]
    public void An_rfc_2543_branch_or_a_key_too_long_is_not_written_in_place()
    {
        Span<char> buffer = stackalloc char[TransactionKey.MaxWrittenLength];
        Assert.False(TransactionKey.TryWriteServer(Request("INVITE", "SIP/2.0/UDP 192.0.2.2;branch=1234"), buffer, out _));
        Assert.False(TransactionKey.TryWriteServer(Request("INVITE", "SIP/2.0/UDP 192.0.2.2;branch=z9hG4bK" + new string('a', 300)), buffer, out _));
    }

    [Fact]
    public void A_response_key_written_in_place_is_the_key_the_parsed_via_gives()
    {
        var text = "SIP/2.0 180 Ringing\r\nVia: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKout1;received=127.0.0.1\r\n"
            + "From: <sip:a@b>;tag=1\r\nTo: <sip:c@d>;tag=2\r\nCall-ID: k@b\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n";
        Span<char> buffer = stackalloc char[TransactionKey.MaxWrittenLength];

        Assert.True(TransactionKey.TryWriteResponse(Parse(text), buffer, out var written));
        Assert.Equal(TransactionKey.ForResponse(Parse(text)), buffer[..written].ToString());
        Assert.Equal(TransactionKey.ForClient("z9hG4bKout1", "INVITE"), buffer[..written].ToString());
    }

    private static SipMessage Request(string method, string via) => Parse(
        $"{method} sip:74951234567@192.0.2.1 SIP/2.0\r\nVia: {via}\r\nMax-Forwards: 70\r\nFrom: <sip:a@b>;tag=1\r\n"
        + $"To: <sip:c@d>\r\nCall-ID: k@b\r\nCSeq: 1 {method}\r\nContent-Length: 0\r\n\r\n");

    private static SipMessage Parse(string text)
    {
        var message = SipParser.Parse(Encoding.UTF8.GetBytes(text), true, out var error);
        Assert.True(message is not null, error?.Reason);
        return message!;
    }
}
