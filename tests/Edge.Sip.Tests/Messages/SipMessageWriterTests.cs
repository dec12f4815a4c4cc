using System.Text;
using Calltracking.Edge.Sip.Messages;

namespace Calltracking.Edge.Sip.Tests.Messages;

public sealed class SipMessageWriterTests
{
    private static SipMessage Invite() => SipParser.Parse(SipText.Wire(SipText.Invite), true, out _)!;

    [Fact]
    public void A_response_copies_the_dialog_headers_and_adds_a_to_tag()
    {
        var bytes = SipMessageWriter.ResponseTo(Invite(), 486, "Busy Here", "edge-tag").ToArray();
        var response = SipParser.Parse(bytes, true, out var error)!;
        Assert.Null(error);
        Assert.Equal(486, response.StatusCode);
        Assert.Equal("z9hG4bK776asdhds", response.TopVia!.Branch);
        Assert.Equal("1928301774", response.From!.Tag);
        Assert.Equal("edge-tag", response.To!.Tag);
        Assert.Equal("a84b4c76e66710@pc33.carrier.example", response.CallId);
        Assert.Equal(314159, response.CSeq);
        Assert.Equal("INVITE", response.CSeqMethod);
        Assert.Contains("Content-Length: 0\r\n\r\n", Encoding.ASCII.GetString(bytes), StringComparison.Ordinal);
        Assert.False(response.HasHeader("Contact"));
    }

    [Fact]
    public void A_request_uri_and_values_given_as_bytes_are_written_as_they_are()
    {
        var uri = "sip:pbx@192.0.2.5:5070;transport=udp"u8.ToArray();
        var from = "\"Кто\" <sip:79160000000@192.0.2.1>;tag=ab"u8.ToArray();
        var bytes = SipMessageWriter.Request("BYE", uri)
            .Add(SipHeaderNames.Via, "SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKx")
            .Add(SipHeaderNames.From, from)
            .Add(SipHeaderNames.To, "<sip:pbx@192.0.2.5>;tag=cd"u8.ToArray())
            .Add(SipHeaderNames.CallId, "c1")
            .Add(SipHeaderNames.CSeq, "2 BYE")
            .ToArray();

        var request = SipParser.Parse(bytes, true, out var error)!;
        Assert.Null(error);
        Assert.Equal("BYE", request.Method);
        Assert.Equal("sip:pbx@192.0.2.5:5070;transport=udp", request.RequestUri!.ToString());
        Assert.StartsWith("BYE sip:pbx@192.0.2.5:5070;transport=udp SIP/2.0\r\n", Encoding.UTF8.GetString(bytes), StringComparison.Ordinal);
        Assert.Equal(from, request.HeaderLine(SipHeaderNames.From).RawValue.ToArray());
        Assert.Equal("cd", request.To!.Tag);
    }

    [Fact]
    public void Trying_carries_no_to_tag()
    {
        var response = SipParser.Parse(SipMessageWriter.ResponseTo(Invite(), 100, "Trying", "t").ToArray(), true, out _)!;
        Assert.Null(response.To!.Tag);
    }

    [Fact]
    public void A_request_round_trips_through_write_and_parse()
    {
        var invite = Invite();
        var writer = SipMessageWriter.Request("INVITE", "sip:74990000000@192.0.2.50:5070");
        foreach (var header in invite.Headers)
        {
            writer.Add(header);
        }

        writer.Add("x-roistat", "483920").WithBody("v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\n"u8.ToArray(), "application/sdp");
        var parsed = SipParser.Parse(writer.ToArray(), true, out var error)!;

        Assert.Null(error);
        Assert.Equal("74990000000", parsed.RequestUri!.User);
        Assert.Equal(5070, parsed.RequestUri.Port);
        Assert.Equal("483920", parsed.Header("x-roistat"));
        Assert.Equal("7f00-aa", parsed.Header("X-Carrier-Trace"));
        Assert.Equal(31, parsed.Body.Length);
        Assert.Single(parsed.HeaderLines("Content-Type"));
        Assert.Single(parsed.HeaderLines("Content-Length"));
    }

    [Fact]
    public void Generated_messages_always_parse_back_to_the_same_values()
    {
        var random = new Random(3261);
        for (var i = 0; i < 500; i++)
        {
            var user = random.Next(1_000_000_000).ToString(System.Globalization.CultureInfo.InvariantCulture);
            var tag = Convert.ToHexString(BitConverter.GetBytes(random.NextInt64()));
            var branch = "z9hG4bK" + random.Next();
            var cseq = random.Next(1, int.MaxValue);
            var display = new string(Enumerable.Range(0, random.Next(0, 12)).Select(_ => "ab \"\\,;<>é"[random.Next(10)]).ToArray());
            var body = new byte[random.Next(0, 300)];
            random.NextBytes(body);
            var writer = SipMessageWriter.Request("BYE", $"sip:{user}@192.0.2.{random.Next(1, 255)}:{random.Next(1, 65535)}")
                .Add("Via", $"SIP/2.0/UDP 198.51.100.{random.Next(1, 255)};branch={branch};rport")
                .Add("From", new NameAddress { DisplayName = display.Length == 0 ? null : display, Uri = SipUri.Parse($"sip:{user}@example.net", out _)!, Parameters = [new("tag", tag)] }.ToString())
                .Add("To", $"<sip:x@example.net>")
                .Add("Call-ID", $"{tag}@gen")
                .Add("CSeq", $"{cseq} BYE")
                .Add("Max-Forwards", "70")
                .WithBody(body, "application/octet-stream");
            var parsed = SipParser.Parse(writer.ToArray(), true, out var error);
            Assert.True(parsed is not null, error?.Reason);
            Assert.Equal(user, parsed!.RequestUri!.User);
            Assert.Equal(branch, parsed.TopVia!.Branch);
            Assert.Equal(tag, parsed.From!.Tag);
            Assert.Equal(display.Length == 0 ? null : display, parsed.From.DisplayName);
            Assert.Equal(cseq, parsed.CSeq);
            Assert.Equal(body, parsed.Body.ToArray());
        }
    }

    [Fact]
    public void A_writer_is_written_once()
    {
        var writer = SipMessageWriter.ResponseTo(Invite(), 200, "OK", "t");
        _ = writer.ToArray();

        Assert.Throws<InvalidOperationException>(() => writer.ToArray());
        Assert.Throws<InvalidOperationException>(() => writer.Add("Server", "edge"));
        Assert.Throws<InvalidOperationException>(() => writer.Remove("Server"));
    }

    [Fact]
    public void A_table_grows_past_its_capacity_and_keeps_the_order()
    {
        var writer = SipMessageWriter.Request("OPTIONS", "sip:edge@192.0.2.1", headerCapacity: 1)
            .Add("Via", "SIP/2.0/UDP 192.0.2.9;branch=z9hG4bKgrow")
            .Add("From", "<sip:a@192.0.2.9>;tag=1").Add("To", "<sip:edge@192.0.2.1>").Add("Call-ID", "grow@192.0.2.9")
            .Add("CSeq", "1 OPTIONS").Add("Max-Forwards", "70");
        for (var i = 0; i < 40; i++)
        {
            writer.Add($"X-N{i}", i.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        writer.Remove("X-N7");
        var parsed = SipParser.Parse(writer.ToArray(), true, out var error)!;

        Assert.Null(error);
        var names = parsed.Headers.ToArray().Select(h => h.Name).Where(n => n.StartsWith("X-N", StringComparison.Ordinal)).ToList();
        Assert.Equal(Enumerable.Range(0, 40).Where(i => i != 7).Select(i => $"X-N{i}"), names);
    }

    [Fact]
    public void The_branch_and_method_of_a_request_are_read_from_what_was_added()
    {
        var writer = SipMessageWriter.Request("BYE", "sip:a@192.0.2.1")
            .Add("Max-Forwards", "70")
            .Add("Via", "SIP/2.0/UDP 192.0.2.9:5060;rport;branch=z9hG4bKfirst")
            .Add("Via", "SIP/2.0/UDP 192.0.2.8;branch=z9hG4bKsecond");

        Assert.Equal("BYE", writer.Method);
        Assert.Equal("z9hG4bKfirst", writer.TopViaBranch);
        Assert.Null(SipMessageWriter.Request("BYE", "sip:a@192.0.2.1").Add("Via", "SIP/2.0/UDP 192.0.2.9").TopViaBranch);
        Assert.Null(SipMessageWriter.Request("BYE", "sip:a@192.0.2.1").TopViaBranch);
    }

    [Fact]
    public void A_to_that_already_has_a_tag_is_copied_as_received()
    {
        var ok = SipParser.Parse(SipText.Wire(SipText.Invite.Replace("To: <sip:74951234567@edge.example.net>", "To: <sip:74951234567@edge.example.net>;tag=theirs", StringComparison.Ordinal)), true, out _)!;
        var response = SipParser.Parse(SipMessageWriter.ResponseTo(ok, 200, "OK", "ours").ToArray(), true, out _)!;

        Assert.Equal("theirs", response.To!.Tag);
    }
}
