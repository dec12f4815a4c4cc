using System.Text;
using Calltracking.Edge.Sip.Messages;

namespace Calltracking.Edge.Sip.Tests.Messages;

public sealed class SipParserTests
{
    private static SipMessage ParseOk(string text, bool datagram = true) => SipText.Parsed(text, datagram);

    private static SipParseError ParseFails(string text, bool datagram = true)
    {
        var message = SipParser.Parse(SipText.Wire(text), datagram, out var error);
        Assert.Null(message);
        return error!;
    }

    /// <summary>
    /// A parse allocates the message and its header table (24 bytes per header line plus the array's 24) and nothing
    /// else: no string, no Via/From/To/URI object. Two messages with different header counts, Call-IDs, tags and
    /// URIs must leave the same remainder once their tables are taken off, which is the message object alone.
    /// </summary>
    [Fact]
    public void Parsing_allocates_only_the_message_and_its_header_table()
    {
        var invite = SipText.Wire(SipText.Invite);
        var longer = SipText.Wire(SipText.Invite
            .Replace("a84b4c76e66710@pc33.carrier.example", "a-much-longer-call-identifier-0123456789abcdef@pc33.carrier.example", StringComparison.Ordinal)
            .Replace("tag=1928301774", "tag=19283017741928301774-xyz", StringComparison.Ordinal)
            .Replace("CSeq: 314159 INVITE", "CSeq: 314159 INVITE\nX-One: 1\nX-Two: 2\nSubject: three", StringComparison.Ordinal));
        static long Allocated(byte[] message)
        {
            for (var i = 0; i < 50; i++)
            {
                _ = SipParser.Parse(message, datagram: true, out _);
            }

            var before = GC.GetAllocatedBytesForCurrentThread();
            var parsed = SipParser.Parse(message, datagram: true, out var error);
            var after = GC.GetAllocatedBytesForCurrentThread();
            Assert.True(parsed is not null, error?.Reason);
            return after - before - (24 + (24L * parsed!.Headers.Length));
        }

        var remainder = Allocated(invite);
        Assert.Equal(remainder, Allocated(longer));
        Assert.InRange(remainder, 1, 200);

        // Reading builds the views, once.
        var message = SipParser.Parse(invite, datagram: true, out _)!;
        Assert.Same(message.Vias, message.Vias);
        Assert.Same(message.From, message.From);
        Assert.Same(message.CallId, message.CallId);
        Assert.Same(message.RequestUri, message.RequestUri);
    }

    [Fact]
    public void Parses_a_carrier_invite()
    {
        var m = ParseOk(SipText.Invite);
        Assert.True(m.IsRequest);
        Assert.Equal("INVITE", m.Method);
        Assert.Equal("74951234567", m.RequestUri!.User);
        Assert.Equal("edge.example.net", m.RequestUri.Host);
        Assert.Equal("z9hG4bK776asdhds", m.TopVia!.Branch);
        Assert.Equal(string.Empty, m.TopVia.RPort);
        Assert.Equal("1928301774", m.From!.Tag);
        Assert.Equal("Carrier", m.From.DisplayName);
        Assert.Null(m.To!.Tag);
        Assert.Equal("a84b4c76e66710@pc33.carrier.example", m.CallId);
        Assert.Equal(314159, m.CSeq);
        Assert.Equal("INVITE", m.CSeqMethod);
        Assert.Equal(70, m.MaxForwards);
        Assert.Equal("v=0\r\n", Encoding.ASCII.GetString(m.Body.Span));
        Assert.Equal("7f00-aa", m.Header("x-carrier-trace"));
    }

    [Fact]
    public void Compact_forms_case_insensitive_names_and_folding()
    {
        var m = ParseOk("""
            OPTIONS sip:edge.example.net SIP/2.0
            v: SIP/2.0/TCP [2001:db8::9]:5070 ;branch=z9hG4bKfold
            vIa:   SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK2, SIP/2.0/UDP 192.0.2.2:5062;branch=z9hG4bK3;received=198.51.100.7
            f: "Quoted \"name\" \\ here" <sip:%61lice@carrier.example>;tag=abc
            t: sip:edge.example.net
            i: fold-1
            cseq: 7
             OPTIONS
            max-forwards: 10
            k: timer, 100rel
            l: 0


            """);
        Assert.Equal(3, m.Vias.Count);
        Assert.Equal("2001:db8::9", m.Vias[0].Host);
        Assert.Equal(5070, m.Vias[0].Port);
        Assert.Equal("TCP", m.Vias[0].Transport);
        Assert.Equal("198.51.100.7", m.Vias[2].Received);
        Assert.Equal("Quoted \"name\" \\ here", m.From!.DisplayName);
        Assert.Equal("alice", m.From.Uri.User);
        Assert.Equal("abc", m.From.Tag);
        Assert.Equal("edge.example.net", m.To!.Uri.Host);
        Assert.Equal(7, m.CSeq);
        Assert.Equal("OPTIONS", m.CSeqMethod);
        Assert.Equal(["timer", "100rel"], m.HeaderValues(SipHeaderNames.Supported));
    }

    [Fact]
    public void Addr_spec_parameters_belong_to_the_header_not_the_uri()
    {
        var m = ParseOk(SipText.Invite.Replace("From: \"Carrier\" <sip:79161234567@carrier.example>;tag=1928301774", "From: sip:79161234567@carrier.example;tag=xyz", StringComparison.Ordinal));
        Assert.Equal("xyz", m.From!.Tag);
        Assert.Empty(m.From.Uri.Parameters);
    }

    [Fact]
    public void Tel_and_sips_uris_parse()
    {
        Assert.Equal("+7-495-123-45-67", SipUri.Parse("tel:+7-495-123-45-67;phone-context=example.com", out _)!.User);
        var sips = SipUri.Parse("sips:%2B74951234567;npdi@[2001:db8::1]:5061;transport=tcp?Subject=hi&Priority=urgent", out _)!;
        Assert.True(sips.IsSecure);
        Assert.Equal("+74951234567;npdi", sips.User);
        Assert.Equal("2001:db8::1", sips.Host);
        Assert.Equal(5061, sips.Port);
        Assert.Equal("tcp", sips.Transport);
        Assert.Equal(2, sips.Headers.Count);
    }

    [Fact]
    public void Responses_parse_with_their_transaction_method()
    {
        var m = ParseOk("""
            SIP/2.0 180 Ringing
            Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK776asdhds
            To: <sip:74951234567@edge.example.net>;tag=pbx1
            From: <sip:79161234567@carrier.example>;tag=1928301774
            Call-ID: r-1
            CSeq: 1 INVITE
            Content-Length: 0


            """);
        Assert.False(m.IsRequest);
        Assert.Equal(180, m.StatusCode);
        Assert.Equal("Ringing", m.ReasonPhrase);
        Assert.Equal("INVITE", m.TransactionMethod);
        Assert.Equal("pbx1", m.To!.Tag);
    }

    [Fact]
    public void Extra_bytes_after_content_length_are_not_body()
    {
        var m = SipParser.Parse(SipText.Wire(SipText.Invite.Replace("Content-Length: 5", "Content-Length: 2", StringComparison.Ordinal)), true, out _);
        Assert.Equal("v=", Encoding.ASCII.GetString(m!.Body.Span));
    }

    [Fact]
    public void Leading_crlf_keepalives_are_skipped()
    {
        var bytes = SipText.Wire("\n\n" + SipText.Invite);
        Assert.NotNull(SipParser.Parse(bytes, true, out _));
    }

    [Theory]
    [InlineData("Call-ID: a84b4c76e66710@pc33.carrier.example\n", "Missing Call-ID header", 400)]
    [InlineData("CSeq: 314159 INVITE\n", "Missing CSeq header", 400)]
    [InlineData("Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK776asdhds;rport\n", "Missing Via header", 400)]
    public void A_missing_mandatory_header_is_400_naming_it(string removed, string reason, int code)
    {
        var error = ParseFails(SipText.Invite.Replace(removed.Replace("\n", Environment.NewLine, StringComparison.Ordinal), string.Empty, StringComparison.Ordinal));
        Assert.Equal(code, error.StatusCode);
        Assert.Equal(reason, error.Reason);
    }

    [Theory]
    [InlineData("INVITE sip:74951234567@edge.example.net SIP/2.0", "INVITE http://edge.example.net/ SIP/2.0", 416)]
    [InlineData("INVITE sip:74951234567@edge.example.net SIP/2.0", "INVITE sip:74951234567@edge.example.net SIP/7.0", 505)]
    [InlineData("Max-Forwards: 70", "Max-Forwards: 0", 483)]
    [InlineData("Max-Forwards: 70", "Max-Forwards: seventy", 400)]
    [InlineData("CSeq: 314159 INVITE", "CSeq: 314159 BYE", 400)]
    [InlineData("CSeq: 314159 INVITE", "CSeq: -1 INVITE", 400)]
    [InlineData("CSeq: 314159 INVITE", "CSeq: 99999999999 INVITE", 400)]
    [InlineData("From: \"Carrier\" <sip:79161234567@carrier.example>;tag=1928301774", "From: \"Carrier <sip:79161234567@carrier.example>;tag=1928301774", 400)]
    [InlineData("From: \"Carrier\" <sip:79161234567@carrier.example>;tag=1928301774", "From: <sip:79161234567@carrier.example;tag=1", 400)]
    [InlineData("To: <sip:74951234567@edge.example.net>", "To: <sip:74951234567@edge.example.net>\r\nTo: <sip:x@y>", 400)]
    [InlineData("Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK776asdhds;rport", "Via: SIP/2.0/UDP 192.0.2.10:99999;branch=z9hG4bK1", 400)]
    [InlineData("Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK776asdhds;rport", "Via: SIP/1.0/UDP 192.0.2.10;branch=z9hG4bK1", 400)]
    [InlineData("INVITE sip:74951234567@edge.example.net SIP/2.0", "INVITE  sip:74951234567@edge.example.net SIP/2.0", 400)]
    [InlineData("INVITE sip:74951234567@edge.example.net SIP/2.0", "INVITE sip:74951234567@[2001:db8::1 SIP/2.0", 400)]
    [InlineData("Content-Length: 5", "Content-Length: 5\r\nl: 6", 400)]
    public void Malformed_requests_get_the_right_status(string original, string replacement, int expected)
    {
        var error = ParseFails(SipText.Invite.Replace(original, replacement, StringComparison.Ordinal));
        Assert.Equal(expected, error.StatusCode);
    }

    [Fact]
    public void Answerable_errors_keep_enough_to_build_a_response()
    {
        var error = ParseFails(SipText.Invite.Replace("Max-Forwards: 70", "Max-Forwards: 0", StringComparison.Ordinal));
        Assert.True(error.CanRespond);
        Assert.Equal("Too Many Hops", error.Reason);
    }

    [Fact]
    public void Content_length_beyond_the_datagram_is_dropped_without_answer()
    {
        var error = ParseFails(SipText.Invite.Replace("Content-Length: 5", "Content-Length: 400", StringComparison.Ordinal));
        Assert.False(error.CanRespond);
        Assert.Equal("content_length", error.MetricReason);
    }

    [Fact]
    public void Oversized_messages_are_513()
    {
        var big = SipText.Invite.Replace("X-Carrier-Trace: 7f00-aa", "X-Pad: " + new string('a', 3000), StringComparison.Ordinal);
        var message = SipParser.Parse(SipText.Wire(big), true, out var error, maxMessageSize: 1500);
        Assert.Null(message);
        Assert.Equal(513, error!.StatusCode);
    }

    [Theory]
    [InlineData("")]
    [InlineData("\r\n\r\n")]
    [InlineData("hello world")]
    [InlineData("GET / HTTP/1.1\r\nHost: x\r\n\r\n")]
    [InlineData("SIP/2.0 99 Weird\r\n\r\n")]
    [InlineData("INVITE\r\n\r\n")]
    [InlineData("\0\0\0\0\r\n\r\n")]
    public void Garbage_is_rejected_not_thrown(string text)
    {
        var message = SipParser.Parse(Encoding.UTF8.GetBytes(text), true, out var error);
        Assert.Null(message);
        Assert.NotNull(error);
        Assert.False(error.CanRespond);
    }

    [Fact]
    public void Random_bytes_never_throw()
    {
        var random = new Random(4475);
        var valid = SipText.Wire(SipText.Invite);
        for (var i = 0; i < 5000; i++)
        {
            var mutated = (byte[])valid.Clone();
            for (var k = 0; k < 1 + random.Next(8); k++)
            {
                mutated[random.Next(mutated.Length)] = (byte)random.Next(256);
            }

            var length = random.Next(mutated.Length + 1);
            _ = SipParser.Parse(mutated.AsMemory(0, length), datagram: random.Next(2) == 0, out _);
        }
    }

    [Fact]
    public void Unknown_headers_are_forwarded_byte_for_byte()
    {
        var m = ParseOk(SipText.Invite.Replace("X-Carrier-Trace: 7f00-aa", "X-Odd-Header:   va;lue, \"q,u\"  ", StringComparison.Ordinal));
        var header = m.HeaderLines("X-Odd-Header").Single();
        Assert.Equal("va;lue, \"q,u\"", Encoding.UTF8.GetString(header.RawValue.Span));
        Assert.Equal("X-Odd-Header", header.Name);
    }

    [Fact]
    public void FirstAddress_is_the_first_address_that_parses_and_null_when_none_does()
    {
        var m = ParseOk(SipText.Invite
            .Replace("P-Asserted-Identity: <sip:+79161234567@carrier.example>",
                "P-Asserted-Identity: <>, \"Odd, Name\" <sip:+79160000001@carrier.example>\nP-Asserted-Identity: <tel:+79160000002>", StringComparison.Ordinal));

        Assert.Equal(m.Addresses(SipHeaderNames.PAssertedIdentity).FirstOrDefault()?.Uri.ToString(), m.FirstAddress(SipHeaderNames.PAssertedIdentity)?.Uri.ToString());
        Assert.Equal("+79160000001", m.FirstAddress(SipHeaderNames.PAssertedIdentity)!.Uri.User);
        Assert.Equal("79161234567", m.FirstAddress(SipHeaderNames.Contact)!.Uri.User);
        Assert.Null(m.FirstAddress("Record-Route"));

        var broken = ParseOk(SipText.Invite.Replace("Contact: <sip:79161234567@192.0.2.10:5060>", "Contact: <<>>, ,", StringComparison.Ordinal));
        Assert.Null(broken.FirstAddress(SipHeaderNames.Contact));
        Assert.Empty(broken.Addresses(SipHeaderNames.Contact));
    }

    [Fact]
    public void HasToken_reads_token_lists_across_lines_case_insensitively_and_only_whole_tokens()
    {
        var m = ParseOk(SipText.Invite.Replace("X-Carrier-Trace: 7f00-aa", "Supported: replaces , TIMER\nSupported:\nRequire: 100relx,,", StringComparison.Ordinal));

        Assert.True(m.HasToken(SipHeaderNames.Supported, "timer"));
        Assert.True(m.HasToken(SipHeaderNames.Supported, "Replaces"));
        Assert.False(m.HasToken(SipHeaderNames.Supported, "100rel"));
        Assert.False(m.HasToken(SipHeaderNames.Require, "100rel"));
        Assert.False(m.HasToken("Proxy-Require", "timer"));
    }
}
