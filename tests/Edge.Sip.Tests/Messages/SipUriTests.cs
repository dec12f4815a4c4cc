using Calltracking.Edge.Sip.Messages;

namespace Calltracking.Edge.Sip.Tests.Messages;

public sealed class SipUriTests
{
    [Theory]
    [InlineData("SIP:User@Host.example", "sip", "User", "Host.example", null)]
    [InlineData("sip:user@[2001:db8::1]:5061;transport=tcp", "sip", "user", "2001:db8::1", 5061)]
    [InlineData("sips:%61lice@example.com", "sips", "alice", "example.com", null)]
    [InlineData("sip:example.com:5070", "sip", null, "example.com", 5070)]
    [InlineData("tel:+1-201-555-0123;ext=1", "tel", "+1-201-555-0123", "", null)]
    public void Valid_uris_parse_to_their_parts(string text, string scheme, string? user, string host, int? port)
    {
        var uri = SipUri.Parse(text, out var error);
        Assert.True(uri is not null, error);
        Assert.Equal((scheme, user, host, port), (uri!.Scheme, uri.User, uri.Host, uri.Port));
    }

    [Theory]
    [InlineData("sip:a@b;x=%4")]
    [InlineData("sip:%zz@host")]
    [InlineData("sip:user@host:0")]
    [InlineData("sip:user@host:65536")]
    [InlineData("sip:user@host:")]
    [InlineData("sip:user@-host")]
    [InlineData("sip:user@[2001:db8::1")]
    [InlineData("sip:user@[192.0.2.1]")]
    [InlineData("sip:user@host?novalue")]
    [InlineData("sip:@host")]
    [InlineData("sip:user@ho st")]
    [InlineData("1sip:user@host")]
    [InlineData("nocolon")]
    public void Malformed_uris_are_refused_with_a_reason(string text)
    {
        Assert.Null(SipUri.Parse(text, out var error));
        Assert.False(string.IsNullOrEmpty(error));
    }

    [Fact]
    public void Parameters_and_headers_keep_order_and_raw_values()
    {
        var uri = SipUri.Parse("sip:user@host;lr;x=%41;transport=TCP?Subject=hi&Priority=urgent", out _)!;
        Assert.Equal([new("lr", null), new("x", "%41"), new("transport", "TCP")], uri.Parameters);
        Assert.Equal("tcp", uri.Transport);
        Assert.Equal([new("Subject", "hi"), new("Priority", "urgent")], uri.Headers);
        Assert.Equal(uri.ToString(), SipUri.Parse(uri.ToString(), out _)!.ToString());
    }

    [Theory]
    [InlineData("SIP/2.0/UDP 192.0.2.2 : 5060;branch=z9hG4bKx", "UDP", "192.0.2.2", 5060)]
    [InlineData("SIP/2.0/udp [2001:db8::1]:5070;branch=z9hG4bKx;received=198.51.100.1", "UDP", "2001:db8::1", 5070)]
    [InlineData("SIP / 2.0 / ws edge.example.net;branch=z9hG4bKx", "WS", "edge.example.net", null)]
    public void Via_sent_by_and_transport(string text, string transport, string host, int? port)
    {
        var via = ViaHeader.Parse(text, out var error);
        Assert.True(via is not null, error);
        Assert.Equal((transport, host, port, "z9hG4bKx"), (via!.Transport, via.Host, via.Port, via.Branch));
    }

    [Theory]
    [InlineData("SIP/2.0/UDP user@host;branch=z9hG4bKx")]
    [InlineData("SIP/2.0/UDP host:99999")]
    [InlineData("SIP/2.0 host")]
    [InlineData("SIP/2.0/UDP ;branch=z9hG4bKx")]
    [InlineData("SIP/2.0/UDP host;branch=")]
    [InlineData("SIP/2.0/UDP host;;branch=z9hG4bKx")]
    public void Malformed_vias_are_refused(string text)
    {
        Assert.Null(ViaHeader.Parse(text, out var error));
        Assert.False(string.IsNullOrEmpty(error));
    }

    [Theory]
    [InlineData("\"A \\\"quoted\\\" name\" <sip:a@b>;tag=1", "A \"quoted\" name", "1")]
    [InlineData("caller<sip:caller@example.com>;tag=323", "caller", "323")]
    [InlineData("sip:a@b;tag=x", null, "x")]
    [InlineData("  <sip:a@b> ; tag = y ", null, "y")]
    public void Name_addresses(string text, string? display, string tag)
    {
        var address = NameAddress.Parse(text, out var error);
        Assert.True(address is not null, error);
        Assert.Equal((display, tag), (address!.DisplayName, address.Tag));
    }

    [Theory]
    [InlineData("\"unterminated <sip:a@b>")]
    [InlineData("<sip:a@b")]
    [InlineData("<sip:a@b>;tag=\"open")]
    [InlineData("<sip:a@b> junk")]
    [InlineData("sip:a@b?x=1")]
    [InlineData("\"name only\"")]
    public void Malformed_name_addresses_are_refused(string text)
    {
        Assert.Null(NameAddress.Parse(text, out var error));
        Assert.False(string.IsNullOrEmpty(error));
    }
}
