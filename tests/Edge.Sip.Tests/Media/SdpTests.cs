using System.Net;
using System.Text;
using Calltracking.Edge.Sip.Media;

namespace Calltracking.Edge.Sip.Tests.Media;

public sealed class SdpTests
{
    private const string Offer = "v=0\r\no=carrier 1 1 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 192.0.2.10\r\nt=0 0\r\n"
        + "m=audio 40000 RTP/AVP 8 0 101\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-15\r\na=sendrecv\r\n";

    private static byte[] Bytes(string s) => Encoding.ASCII.GetBytes(s);

    private static string Text(byte[] b) => Encoding.ASCII.GetString(b);

    [Fact]
    public void Parses_where_the_side_wants_audio_and_its_codecs()
    {
        var audio = Sdp.ParseAudio(Bytes(Offer))!;
        Assert.Equal(new IPEndPoint(IPAddress.Parse("192.0.2.10"), 40000), audio.Rtp);
        Assert.Equal(new IPEndPoint(IPAddress.Parse("192.0.2.10"), 40001), audio.Rtcp);
        Assert.Equal("PCMA/8000", audio.PayloadNames[8]);
        Assert.Equal("telephone-event/8000", audio.PayloadNames[101]);
    }

    [Fact]
    public void Media_level_connection_and_rtcp_attribute_win_over_the_defaults()
    {
        var sdp = "v=0\no=x 1 1 IN IP4 192.0.2.1\ns=-\nc=IN IP4 192.0.2.1\nt=0 0\nm=audio 5004 RTP/AVP 0\nc=IN IP4 198.51.100.7\na=rtcp:5010 IN IP4 198.51.100.8\n";
        var audio = Sdp.ParseAudio(Bytes(sdp))!;
        Assert.Equal(new IPEndPoint(IPAddress.Parse("198.51.100.7"), 5004), audio.Rtp);
        Assert.Equal(new IPEndPoint(IPAddress.Parse("198.51.100.8"), 5010), audio.Rtcp);
    }

    [Fact]
    public void Rtcp_mux_keeps_rtcp_on_the_rtp_port()
    {
        var audio = Sdp.ParseAudio(Bytes(Offer + "a=rtcp-mux\r\n"))!;
        Assert.Equal(40000, audio.Rtcp!.Port);
    }

    [Theory]
    [InlineData("")]
    [InlineData("garbage without lines")]
    [InlineData("v=0\r\nc=IN IP4 192.0.2.1\r\nm=video 5000 RTP/AVP 96\r\n")]
    [InlineData("v=0\r\nc=IN IP4 192.0.2.1\r\nm=audio notaport RTP/AVP 0\r\n")]
    [InlineData("v=0\r\nc=IN IP4 192.0.2.1\r\nm=audio 70000 RTP/AVP 0\r\n")]
    public void Bodies_without_a_usable_audio_stream_are_not_relayed(string body) => Assert.Null(Sdp.ParseAudio(Bytes(body)));

    [Theory]
    [InlineData("v=0\r\nc=IN IP4 0.0.0.0\r\nm=audio 5000 RTP/AVP 0\r\n")]
    [InlineData("v=0\r\nc=IN IP4 192.0.2.1\r\nm=audio 0 RTP/AVP 0\r\n")]
    [InlineData("v=0\r\nc=IN IP4 not-an-address\r\nm=audio 5000 RTP/AVP 0\r\n")]
    public void Hold_rejected_or_unresolvable_streams_have_no_destination_until_a_packet_arrives(string body)
    {
        var audio = Sdp.ParseAudio(Bytes(body))!;
        Assert.Null(audio.Rtp);
    }

    [Fact]
    public void Rewrite_points_the_audio_stream_at_the_edge_and_keeps_everything_else()
    {
        var rewritten = Text(Sdp.Rewrite(Bytes(Offer + "a=rtcp:40001\r\na=candidate:1 1 UDP 2130706431 192.0.2.10 40000 typ host\r\na=ice-ufrag:abcd\r\n"), IPAddress.Parse("203.0.113.5"), 20002));
        Assert.Contains("c=IN IP4 203.0.113.5\r\n", rewritten, StringComparison.Ordinal);
        Assert.DoesNotContain("c=IN IP4 192.0.2.10", rewritten, StringComparison.Ordinal);
        Assert.Contains("m=audio 20002 RTP/AVP 8 0 101\r\n", rewritten, StringComparison.Ordinal);
        Assert.Contains("a=rtcp:20003\r\n", rewritten, StringComparison.Ordinal);
        Assert.Contains("o=carrier 1 1 IN IP4 192.0.2.10\r\n", rewritten, StringComparison.Ordinal);
        Assert.Contains("a=fmtp:101 0-15\r\na=sendrecv\r\n", rewritten, StringComparison.Ordinal);
        Assert.DoesNotContain("a=candidate", rewritten, StringComparison.Ordinal);
        Assert.DoesNotContain("a=ice-ufrag", rewritten, StringComparison.Ordinal);
        var reparsed = Sdp.ParseAudio(Bytes(rewritten))!;
        Assert.Equal(new IPEndPoint(IPAddress.Parse("203.0.113.5"), 20002), reparsed.Rtp);
    }

    [Fact]
    public void Streams_the_edge_does_not_relay_keep_their_original_address()
    {
        var sdp = "v=0\r\no=x 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\nm=audio 5000 RTP/AVP 0\r\nm=image 6000 udptl t38\r\ni=fax\r\nm=video 7000 RTP/AVP 96\r\nc=IN IP4 198.51.100.9\r\n";
        var rewritten = Text(Sdp.Rewrite(Bytes(sdp), IPAddress.Parse("203.0.113.5"), 20000));
        Assert.Contains("m=image 6000 udptl t38\r\nc=IN IP4 192.0.2.1\r\ni=fax\r\n", rewritten, StringComparison.Ordinal);
        Assert.Contains("m=video 7000 RTP/AVP 96\r\nc=IN IP4 198.51.100.9\r\n", rewritten, StringComparison.Ordinal);
        Assert.Contains("m=audio 20000 RTP/AVP 0\r\n", rewritten, StringComparison.Ordinal);
    }

    [Fact]
    public void A_rejected_audio_stream_stays_rejected_and_bare_newlines_are_kept()
    {
        var rewritten = Text(Sdp.Rewrite(Bytes("v=0\nc=IN IP4 192.0.2.1\nm=audio 0 RTP/AVP 0\n"), IPAddress.Parse("203.0.113.5"), 20000));
        Assert.Equal("v=0\nc=IN IP4 203.0.113.5\nm=audio 0 RTP/AVP 0\n", rewritten);
    }

    [Fact]
    public void Ipv6_edges_write_ip6_connections()
    {
        var rewritten = Text(Sdp.Rewrite(Bytes(Offer), IPAddress.Parse("2001:db8::5"), 20000));
        Assert.Contains("c=IN IP6 2001:db8::5\r\n", rewritten, StringComparison.Ordinal);
    }
}
