using System.Buffers;
using System.Text;
using BenchmarkDotNet.Attributes;
using Calltracking.Edge.Sip.Messages;

namespace Calltracking.Edge.Benchmarks.Sip;

/// <summary>
/// Parse and write of what a carrier sends most: an INVITE with SDP (~930 bytes, 16 headers) and the 200 OK to it.
/// Command: <c>dotnet run -c Release --project tests/Edge.Benchmarks -- --filter '*SipMessageBenchmarks*' --job short --inProcess --artifacts /tmp/bdn-sip</c>.
/// </summary>
[MemoryDiagnoser]
public class SipMessageBenchmarks
{
    private const string InviteText =
        "INVITE sip:74951234567@edge.example.net:5060;user=phone SIP/2.0\r\n" +
        "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-524287-1---a0c3f1e9b6d2;rport\r\n" +
        "Max-Forwards: 69\r\n" +
        "Contact: <sip:79161234567@192.0.2.10:5060;transport=udp>\r\n" +
        "To: <sip:74951234567@edge.example.net;user=phone>\r\n" +
        "From: \"79161234567\" <sip:79161234567@carrier.example;user=phone>;tag=3f0a6c1b\r\n" +
        "Call-ID: 7a4c9e1d2b3f4a5b6c7d8e9f0a1b2c3d@192.0.2.10\r\n" +
        "CSeq: 1 INVITE\r\n" +
        "Allow: INVITE, ACK, CANCEL, OPTIONS, BYE, REFER, NOTIFY, INFO, UPDATE\r\n" +
        "Supported: replaces, timer, 100rel\r\n" +
        "Session-Expires: 1800;refresher=uac\r\n" +
        "Min-SE: 90\r\n" +
        "P-Asserted-Identity: <sip:+79161234567@carrier.example;user=phone>\r\n" +
        "User-Agent: CarrierSBC/7.2\r\n" +
        "Content-Type: application/sdp\r\n" +
        "Content-Length: 290\r\n" +
        "\r\n" +
        "v=0\r\n" +
        "o=- 3871262880 3871262880 IN IP4 192.0.2.10\r\n" +
        "s=CarrierSBC\r\n" +
        "c=IN IP4 192.0.2.11\r\n" +
        "t=0 0\r\n" +
        "m=audio 31234 RTP/AVP 8 0 18 101\r\n" +
        "a=rtpmap:8 PCMA/8000\r\n" +
        "a=rtpmap:0 PCMU/8000\r\n" +
        "a=rtpmap:18 G729/8000\r\n" +
        "a=fmtp:18 annexb=no\r\n" +
        "a=rtpmap:101 telephone-event/8000\r\n" +
        "a=fmtp:101 0-15\r\n" +
        "a=ptime:20\r\n" +
        "a=sendrecv\r\n" +
        "a=maxptime:40\r\n" +
        "a=rtcp:31235\r\n";

    private byte[] invite = [];
    private byte[] ok = [];
    private SipMessage parsedInvite = null!;
    private ArrayBufferWriter<byte> output = null!;

    [GlobalSetup]
    public void Setup()
    {
        invite = FixBodyLength(InviteText);
        parsedInvite = SipParser.Parse(invite, datagram: true, out var error) ?? throw new InvalidOperationException(error?.Reason);
        ok = BuildOk().ToArray();
        _ = SipParser.Parse(ok, datagram: true, out error) ?? throw new InvalidOperationException(error?.Reason);
        output = new ArrayBufferWriter<byte>(4096);
    }

    [Benchmark]
    public SipMessage? ParseInvite() => SipParser.Parse(invite, datagram: true, out _);

    /// <summary>
    /// Parse, then read what the stack and the router read of every carrier INVITE: the top Via's branch, Call-ID,
    /// the tags, the caller and the dialed number. This is the full cost when the views are built.
    /// </summary>
    [Benchmark]
    public int ParseInviteAndRead()
    {
        var message = SipParser.Parse(invite, datagram: true, out _)!;
        return message.TopVia!.Branch!.Length + message.CallId.Length + message.From!.Tag!.Length + (message.To!.Tag?.Length ?? 0)
            + message.From.Uri.User!.Length + message.RequestUri!.User!.Length;
    }

    [Benchmark]
    public SipMessage? ParseOk() => SipParser.Parse(ok, datagram: true, out _);

    /// <summary>§8.2.6 response built from the parsed INVITE and serialised into a reused buffer.</summary>
    [Benchmark]
    public int WriteOk()
    {
        output.ResetWrittenCount();
        BuildOk().WriteTo(output);
        return output.WrittenCount;
    }

    /// <summary>The INVITE forwarded: every received header copied and serialised into a reused buffer.</summary>
    [Benchmark]
    public int WriteInvite()
    {
        output.ResetWrittenCount();
        var writer = SipMessageWriter.Request("INVITE", "sip:74951234567@pbx.customer.example");
        foreach (var header in parsedInvite.Headers)
        {
            writer.Add(header);
        }

        writer.WithBody(parsedInvite.Body, "application/sdp").WriteTo(output);
        return output.WrittenCount;
    }

    private SipMessageWriter BuildOk() =>
        SipMessageWriter.ResponseTo(parsedInvite, 200, "OK", "9fxced76sl")
            .Add("Contact", "<sip:74951234567@203.0.113.5:5060>")
            .WithBody(parsedInvite.Body, "application/sdp");

    private static byte[] FixBodyLength(string text)
    {
        var split = text.IndexOf("\r\n\r\n", StringComparison.Ordinal) + 4;
        var bodyLength = Encoding.ASCII.GetByteCount(text.AsSpan(split));
        return Encoding.ASCII.GetBytes(text.Replace("Content-Length: 290", "Content-Length: " + bodyLength, StringComparison.Ordinal));
    }
}
