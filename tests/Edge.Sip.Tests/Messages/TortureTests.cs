using Calltracking.Edge.Sip.Messages;

namespace Calltracking.Edge.Sip.Tests.Messages;

/// <summary>RFC 4475: the valid messages parse to the values the RFC describes; the invalid ones get the answer it asks for.</summary>
public sealed class TortureTests
{
    private static SipMessage Valid(string text) => SipText.Parsed(text);

    private static SipParseError Invalid(string text)
    {
        var message = SipParser.Parse(SipText.Wire(text), datagram: true, out var error);
        Assert.Null(message);
        return error!;
    }

    [Fact]
    public void Wsinv_short_tortuous_invite()
    {
        var m = Valid(TortureMessages.Wsinv);
        Assert.Equal("INVITE", m.Method);
        Assert.Equal("vivekg", m.RequestUri!.User);
        Assert.Equal("chair-dnrc.example.com", m.RequestUri.Host);
        Assert.True(m.RequestUri.HasParameter("unknownparam"));
        Assert.Equal("1918181833n", m.To!.Tag);
        Assert.Equal("98asjd8", m.From!.Tag);
        Assert.Equal("J Rosenberg \\\"", m.From.DisplayName);
        Assert.Equal("jdrosen", m.From.Uri.User);
        Assert.Equal(68, m.MaxForwards);
        Assert.Equal("wsinv.ndaksdj@192.0.2.1", m.CallId);
        Assert.Equal(9, m.CSeq);
        Assert.Equal("INVITE", m.CSeqMethod);
        Assert.Equal(3, m.Vias.Count);
        Assert.Equal(("UDP", "192.0.2.2", "390skdjuw"), (m.Vias[0].Transport, m.Vias[0].Host, m.Vias[0].Branch));
        Assert.Equal(("TCP", "spindle.example.com", "z9hG4bK9ikj8"), (m.Vias[1].Transport, m.Vias[1].Host, m.Vias[1].Branch));
        Assert.Equal(("UDP", "192.168.255.111", "z9hG4bK30239"), (m.Vias[2].Transport, m.Vias[2].Host, m.Vias[2].Branch));
        Assert.Equal(150, m.Body.Length);
        var fangled = m.Header("NewFangledHeader");
        Assert.StartsWith("newfangled value", fangled, StringComparison.Ordinal);
        Assert.EndsWith("continued newfangled value", fangled, StringComparison.Ordinal);
        Assert.Equal(";;,,;;,;", m.Header("UnknownHeaderWithUnusualValue"));
        var contact = Assert.Single(m.Addresses(SipHeaderNames.Contact));
        Assert.Equal("Quoted string \"\"", contact.DisplayName);
        Assert.Equal("0.33", contact.Parameter("q"));
        Assert.Equal("newvalue", contact.Parameter("newparam"));
    }

    [Fact]
    public void Esc01_escaped_uri_characters_are_decoded()
    {
        var m = Valid(TortureMessages.Esc01);
        Assert.Equal("sips:user@example.com", m.RequestUri!.User);
        Assert.Equal("example.net", m.RequestUri.Host);
        Assert.Equal("user", m.To!.Uri.User);
        Assert.Equal("I have spaces", m.From!.Uri.User);
        Assert.Equal("caller", Assert.Single(m.Addresses(SipHeaderNames.Contact)).Uri.User);
    }

    [Fact]
    public void Escnull_escaped_nul_is_a_legal_user_character()
    {
        var m = Valid(TortureMessages.Escnull);
        Assert.Equal("null-\0-null", m.To!.Uri.User);
        Assert.Equal(["\0", "\0\0"], m.Addresses(SipHeaderNames.Contact).Select(c => c.Uri.User));
    }

    [Fact]
    public void Lwsdisp_display_name_without_space_before_the_angle()
    {
        var m = Valid(TortureMessages.Lwsdisp);
        Assert.Equal("caller", m.From!.DisplayName);
        Assert.Equal("323", m.From.Tag);
    }

    [Fact]
    public void Semiuri_semicolon_in_the_user_part()
    {
        var m = Valid(TortureMessages.Semiuri);
        Assert.Equal("user;par=u@example.net", m.RequestUri!.User);
        Assert.Equal("example.com", m.RequestUri.Host);
        Assert.Equal(6, m.HeaderValues("Accept").Count());
    }

    [Fact]
    public void Transports_unknown_via_transports_are_kept()
    {
        var m = Valid(TortureMessages.Transports);
        Assert.Equal(["UDP", "SCTP", "TLS", "UNKNOWN", "TCP"], m.Vias.Select(v => v.Transport));
        Assert.Equal("transports.kijh4akdnaqjkwendsasfdj", m.CallId);
    }

    [Fact]
    public void Noreason_empty_reason_phrase()
    {
        var m = Valid(TortureMessages.Noreason);
        Assert.Equal(100, m.StatusCode);
        Assert.Equal(string.Empty, m.ReasonPhrase.Trim());
    }

    [Fact]
    public void Unreason_utf8_reason_phrase()
    {
        var m = Valid(TortureMessages.Unreason);
        Assert.Equal(200, m.StatusCode);
        Assert.EndsWith("простое", m.ReasonPhrase, StringComparison.Ordinal);
    }

    [Fact]
    public void Dblreq_bytes_after_the_body_are_not_this_message()
    {
        var m = Valid(TortureMessages.Dblreq);
        Assert.Equal("REGISTER", m.Method);
        Assert.Equal(0, m.Body.Length);
    }

    [Fact]
    public void Stream_framing_cuts_dblreq_into_two_messages()
    {
        var bytes = SipText.Wire(TortureMessages.Dblreq);
        var first = SipParser.FrameLength(bytes, SipParser.DefaultMaxMessageSize, out var crlf);
        Assert.True(first > 0);
        var rest = bytes.AsSpan(crlf + first);
        var second = SipParser.FrameLength(rest, SipParser.DefaultMaxMessageSize, out var crlf2);
        Assert.True(second > 0);
        var invite = SipParser.Parse(bytes.AsMemory(crlf + first + crlf2, second), datagram: false, out var error);
        Assert.True(invite is not null, error?.Reason);
        Assert.Equal("INVITE", invite!.Method);
    }

    [Fact]
    public void Inv2543_old_style_request_parses_without_magic_cookie()
    {
        var m = Valid(TortureMessages.Inv2543);
        Assert.Null(m.TopVia!.Branch);
        Assert.False(m.TopVia.IsRfc3261Branch);
        Assert.Null(m.From!.Tag);
    }

    [Theory]
    [InlineData("OPTIONS sip:user@example.com SIP/2.0", "OPTIONS sip:user@example.com SIP/7.0", 505)] // §3.1.2.14 badvers
    [InlineData("OPTIONS sip:user@example.com SIP/2.0", "OPTIONS <sip:user@example.com> SIP/2.0", 400)] // §3.1.2.6 ltgtruri
    [InlineData("OPTIONS sip:user@example.com SIP/2.0", "OPTIONS sip:user@example.com; lr SIP/2.0", 400)] // §3.1.2.7 lwsruri
    [InlineData("OPTIONS sip:user@example.com SIP/2.0", "OPTIONS  sip:user@example.com  SIP/2.0", 400)] // §3.1.2.8 lwsstart
    [InlineData("OPTIONS sip:user@example.com SIP/2.0", "OPTIONS nobodyKnowsThisScheme:totallyopaquecontent SIP/2.0", 416)] // §3.3.2 unkscm
    [InlineData("CSeq: 8 OPTIONS", "CSeq: 8 INVITE", 400)] // §3.1.2.15 mismatch01
    [InlineData("CSeq: 8 OPTIONS", "CSeq: 36893488147419103232 OPTIONS", 400)] // §3.1.2.4 scalarlg
    [InlineData("l: 0", "l: -999", 400)] // §3.1.2.3 scalar02
    [InlineData("From: sip:caller@example.org;tag=33242", "From: \"Bob <sip:caller@example.org>;tag=33242", 400)] // §3.1.2.5 quotbal
    [InlineData("Call-ID: torture.0ha0isndaksdj\n", "", 400)] // §3.3.1 insuf
    [InlineData("From: sip:caller@example.org;tag=33242\n", "", 400)] // §3.3.1 insuf
    public void Invalid_messages_get_the_right_answer(string original, string replacement, int expected)
    {
        var error = Invalid(TortureMessages.Options.Replace(original, replacement, StringComparison.Ordinal));
        Assert.Equal(expected, error.StatusCode);
        Assert.False(string.IsNullOrWhiteSpace(error.Reason));
    }

    [Fact]
    public void Max_forwards_zero_is_483_for_an_invite_but_options_is_answered_here()
    {
        // §16.3 item 2 and §11: an element that is the final recipient of an OPTIONS answers it even at zero hops.
        var invite = TortureMessages.Options.Replace("OPTIONS", "INVITE", StringComparison.Ordinal).Replace("Max-Forwards: 70", "Max-Forwards: 0", StringComparison.Ordinal);
        var error = Invalid(invite);
        Assert.Equal(483, error.StatusCode);
        Assert.True(error.CanRespond);
        Assert.Equal(0, Valid(TortureMessages.Options.Replace("Max-Forwards: 70", "Max-Forwards: 0", StringComparison.Ordinal)).MaxForwards);
    }

    [Fact]
    public void Clerr_content_length_beyond_the_datagram_is_dropped()
    {
        var error = Invalid(TortureMessages.Options.Replace("l: 0", "l: 9999", StringComparison.Ordinal));
        Assert.False(error.CanRespond);
    }

    [Fact]
    public void Bigcode_status_code_beyond_three_digits_is_dropped()
    {
        var error = Invalid(TortureMessages.Noreason.Replace("SIP/2.0 100 ", "SIP/2.0 4294967301 better not break the receiver", StringComparison.Ordinal));
        Assert.False(error.CanRespond);
    }
}
