using System.Text;
using Calltracking.Edge.Sip.Messages;
using Calltracking.Edge.Sip.Routing;

namespace Calltracking.Edge.Sip.Tests.Messages;

/// <summary>The To tag and dialog key read in place give what the parsed To gives, or decline.</summary>
public sealed class PlainToTagTests
{
    [Theory]
    [InlineData("<sip:74951234567@192.0.2.1>;tag=a1b2", "a1b2")]
    [InlineData("Bob <sip:bob@192.0.2.1;transport=udp>;x=1;TAG=Ab.9-~", "Ab.9-~")]
    [InlineData("sip:bob@192.0.2.1;tag=plain", "plain")]
    [InlineData("<sip:bob@192.0.2.1>;tag=first;tag=second", "first")]
    [InlineData("<sip:bob@192.0.2.1>", null)]
    [InlineData("sip:bob@192.0.2.1", null)]
    [InlineData("<sip:bob@192.0.2.1;tag=inside-the-uri>", null)]
    [InlineData("<sip:bob@192.0.2.1>;x=1", null)]
    public void A_plain_to_is_read_in_place_as_the_parser_reads_it(string to, string? tag)
    {
        var request = Request(to);

        Assert.True(request.TryReadToTag(out var read));
        Assert.Equal(tag ?? string.Empty, Encoding.UTF8.GetString(read));
        Assert.Equal(tag, Request(to).To!.Tag);
        Assert.Equal(tag is not null, request.HasToTag);
    }

    [Theory]
    [InlineData("\"Bob ;tag=x\" <sip:bob@192.0.2.1>;tag=real")] // quoting
    [InlineData("<sip:bob@192.0.2.1> ;tag=a")] // whitespace before the parameters
    [InlineData("<sip:bob@192.0.2.1>;tag = a")]
    [InlineData("<sip:bob@192.0.2.1>;lr;tag=a")] // a parameter without a value
    public void Anything_else_is_left_to_the_parser(string to)
    {
        var request = Request(to);

        Assert.False(request.TryReadToTag(out _));
        Assert.Equal(Request(to).To?.Tag is not null, request.HasToTag);
    }

    [Fact]
    public void A_dialog_key_written_in_place_is_the_key_of_the_parsed_call_id_and_tag()
    {
        Span<char> buffer = stackalloc char[512];

        Assert.True(CallRouter.TryWriteDialogKey(Request("<sip:bob@192.0.2.1>;tag=t9"), buffer, out var written, out var tagged));
        Assert.True(tagged);
        Assert.Equal(CallRouter.DialogKey("k7@192.0.2.9", "t9"), buffer[..written].ToString());

        Assert.True(CallRouter.TryWriteDialogKey(Request("<sip:bob@192.0.2.1>"), buffer, out written, out tagged));
        Assert.False(tagged);
        Assert.Equal(0, written);

        Assert.False(CallRouter.TryWriteDialogKey(Request("<sip:bob@192.0.2.1>;tag=t9"), buffer[..5], out _, out _));
    }

    private static SipMessage Request(string to)
    {
        var text = $"BYE sip:74951234567@192.0.2.1 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.9;branch=z9hG4bKt\r\nMax-Forwards: 70\r\n"
            + $"From: <sip:a@192.0.2.9>;tag=f1\r\nTo: {to}\r\nCall-ID: k7@192.0.2.9\r\nCSeq: 2 BYE\r\nContent-Length: 0\r\n\r\n";
        var message = SipParser.Parse(Encoding.UTF8.GetBytes(text), true, out var error);
        Assert.True(message is not null, error?.Reason);
        return message!;
    }
}
