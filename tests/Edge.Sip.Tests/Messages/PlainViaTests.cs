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
        Assert.True(ViaHeader.TryReadPlain(Encoding.ASCII.GetBytes(text), out PlainVia via));
        var comma = text.IndexOf(',', StringComparison.Ordinal);
        var parsed = ViaHeader.Parse(comma < 0 ? text : text[..comma], out var error);
        Assert.True(parsed is not null, error);
        Assert.Equal(parsed!.SentBy, Encoding.ASCII.GetString(via.SentBy));
        Assert.Equal(parsed.Branch, Encoding.ASCII.GetString(via.Branch));
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
        Assert.False(ViaHeader.TryReadPlain(Encoding.UTF8.GetBytes(text), out PlainVia _));

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

        Assert.True(TransactionKey.TryWriteResponse(SipText.Parsed(text), buffer, out var written));
        Assert.Equal(TransactionKey.ForResponse(SipText.Parsed(text)), buffer[..written].ToString());
        Assert.Equal(TransactionKey.ForClient("z9hG4bKout1", "INVITE"), buffer[..written].ToString());
    }

    private static SipMessage Request(string method, string via) => SipText.Parsed(
        $"{method} sip:74951234567@192.0.2.1 SIP/2.0\r\nVia: {via}\r\nMax-Forwards: 70\r\nFrom: <sip:a@b>;tag=1\r\n"
        + $"To: <sip:c@d>\r\nCall-ID: k@b\r\nCSeq: 1 {method}\r\nContent-Length: 0\r\n\r\n");
}

/// <summary>A response's Via written from the request's bytes carries what the parsed Via with received/rport carries.</summary>
public sealed class ViaWithReceivedTests
{
    [Theory]
    [InlineData("SIP/2.0/UDP 192.0.2.2:5060;branch=z9hG4bKa1;rport", "192.0.2.2", 40000)]
    [InlineData("SIP/2.0/UDP 192.0.2.2:5060;branch=z9hG4bKa2", "192.0.2.2", 5060)]
    [InlineData("SIP/2.0/UDP 192.0.2.2:5060;branch=z9hG4bKa3", "198.51.100.7", 5060)]
    [InlineData("SIP/2.0/UDP carrier.example.net;received=203.0.113.1;branch=z9hG4bKa4;RPORT;x=y", "198.51.100.7", 5099)]
    [InlineData("SIP/2.0/UDP 192.0.2.2;rport=7000;branch=z9hG4bKa5", "192.0.2.2", 7001)]
    [InlineData("SIP/2.0/UDP [2001:db8::1]:5070;branch=z9hG4bKa6;rport", "2001:db8::1", 5071)]
    [InlineData("SIP/2.0/UDP 192.0.2.2;branch=z9hG4bKa7;rport, SIP/2.0/UDP 192.0.2.3;branch=z9hG4bKb;rport", "192.0.2.9", 5060)]
    public void The_first_via_gets_received_and_rport_and_the_rest_is_copied(string line, string address, int port)
    {
        var source = new System.Net.IPEndPoint(System.Net.IPAddress.Parse(address), port);
        var output = new System.Buffers.ArrayBufferWriter<byte>();

        Assert.True(ViaHeader.TryWriteWithReceived(Encoding.ASCII.GetBytes(line), source, output));

        var written = new List<ViaHeader>();
        Assert.True(ViaHeader.TryParseList(Encoding.ASCII.GetString(output.WrittenSpan), written, out var error), error);
        var expected = new List<ViaHeader>();
        Assert.True(ViaHeader.TryParseList(line, expected, out _));
        expected[0] = expected[0].WithReceived(address, port);
        Assert.Equal(expected.Count, written.Count);
        for (var i = 0; i < expected.Count; i++)
        {
            Assert.Equal(expected[i].SentBy, written[i].SentBy);
            Assert.Equal(expected[i].Branch, written[i].Branch);
            Assert.Equal(expected[i].Received, written[i].Received);
            Assert.Equal(expected[i].RPort, written[i].RPort);
            Assert.Equal(expected[i].Parameters.Count, written[i].Parameters.Count);
        }
    }

    [Fact]
    public void A_via_that_is_not_plain_is_not_written()
    {
        var output = new System.Buffers.ArrayBufferWriter<byte>();
        Assert.False(ViaHeader.TryWriteWithReceived("SIP / 2.0 / UDP 192.0.2.2;branch=z9hG4bKx"u8, new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 5060), output));
        Assert.Equal(0, output.WrittenCount);
    }

    [Theory]
    [InlineData("SIP/2.0/UDP 192.0.2.2:5060;branch=z9hG4bKa1;rport", "198.51.100.7", 40000)]
    [InlineData("SIP/2.0/UDP 192.0.2.2:5070;branch=z9hG4bKa2", "198.51.100.7", 40000)]
    [InlineData("SIP/2.0/UDP 192.0.2.2;branch=z9hG4bKa3", "192.0.2.2", 40000)]
    [InlineData("SIP/2.0/UDP 192.0.2.2;rport=7000;branch=z9hG4bKa4", "192.0.2.2", 40000)]
    [InlineData("SIP/2.0/UDP 192.0.2.2:5060;branch=z9hG4bKa5", "192.0.2.2", 5060)]
    public void A_response_goes_where_the_parsed_via_sends_it(string via, string address, int port)
    {
        var source = new Calltracking.Edge.Sip.Transport.SipEndPoint(Calltracking.Edge.Sip.Transport.SipTransportKind.Udp, new System.Net.IPEndPoint(System.Net.IPAddress.Parse(address), port));
        var noted = Request(via);
        noted.NoteReceivedFrom(source.Address);
        var parsed = Request(via);
        parsed.Vias[0] = parsed.Vias[0].WithReceived(address, port);

        Assert.Equal(SipStack.ResponseTargetFor(parsed, source), SipStack.ResponseTargetFor(noted, source));
        Assert.Equal(parsed.Vias[0].ToString(), noted.Vias[0].ToString());
    }

    [Fact]
    public void A_response_to_a_noted_request_carries_received_and_rport()
    {
        var request = Request("SIP/2.0/UDP 192.0.2.2:5060;branch=z9hG4bKr1;rport");
        request.NoteReceivedFrom(new System.Net.IPEndPoint(System.Net.IPAddress.Parse("198.51.100.7"), 40000));
        var response = SipParser.Parse(SipMessageWriter.ResponseTo(request, 200, "OK", "t").ToArray(), true, out var error)!;

        Assert.Null(error);
        Assert.Equal("198.51.100.7", response.TopVia!.Received);
        Assert.Equal("40000", response.TopVia.RPort);
        Assert.Equal("z9hG4bKr1", response.TopVia.Branch);
        Assert.Equal("t", response.To!.Tag);
    }

    private static SipMessage Request(string via) => SipText.Parsed(
        $"INVITE sip:74951234567@192.0.2.1 SIP/2.0\r\nVia: {via}\r\nVia: SIP/2.0/UDP 192.0.2.50;branch=z9hG4bKdeep\r\nMax-Forwards: 70\r\n"
        + "From: <sip:a@b>;tag=1\r\nTo: <sip:c@d>\r\nCall-ID: k@b\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n");
}
