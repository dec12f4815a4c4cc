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

    private static SipMessage Request(string to) => SipText.Parsed(
        $"BYE sip:74951234567@192.0.2.1 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.9;branch=z9hG4bKt\r\nMax-Forwards: 70\r\n"
        + $"From: <sip:a@192.0.2.9>;tag=f1\r\nTo: {to}\r\nCall-ID: k7@192.0.2.9\r\nCSeq: 2 BYE\r\nContent-Length: 0\r\n\r\n");
}

/// <summary>A Contact's URI read as text in place is the URI the parsed address gives.</summary>
public sealed class AddressUriTextTests
{
    [Theory]
    [InlineData("<sip:pbx@192.0.2.7:5070;transport=udp>;expires=60")]
    [InlineData("Bob <sips:bob@example.net>")]
    [InlineData("sip:bob@192.0.2.7:5062;expires=30")]
    [InlineData("<sip:a@192.0.2.1>, <sip:b@192.0.2.2>")]
    [InlineData("\"Quoted, Name\" <sip:q@192.0.2.3>")] // quoting: parsed
    [InlineData("sip:x@192.0.2.4, <sip:y@192.0.2.5>")] // a bare URI before a comma
    [InlineData("<sip:%61lice@192.0.2.6>")]
    public void The_uri_text_is_the_parsed_uri(string contact)
    {
        var message = Response(contact);
        var text = message.FirstAddressUriText("Contact");

        Assert.NotNull(text);
        Assert.Equal(Response(contact).FirstAddress("Contact")!.Uri.ToString(), SipUri.Parse(text!, out _)!.ToString());
    }

    [Theory]
    [InlineData("<sip:bad uri@192.0.2.1>")]
    [InlineData("<>")]
    [InlineData("<sip:>")]
    public void A_contact_that_does_not_parse_gives_what_the_parser_gives(string contact) =>
        Assert.Equal(Response(contact).FirstAddress("Contact")?.Uri.ToString(), Response(contact).FirstAddressUriText("Contact"));

    [Fact]
    public void No_contact_gives_null() => Assert.Null(Response(null).FirstAddressUriText("Contact"));

    [Fact]
    public void Branches_carry_the_magic_cookie_and_are_each_new()
    {
        var branches = Enumerable.Range(0, 200).Select(_ => Calltracking.Edge.Sip.Transactions.SipStack.NewBranch()).ToList();

        Assert.All(branches, b => Assert.Matches("^z9hG4bK[0-9a-f]{20}$", b));
        Assert.Equal(branches.Count, branches.Distinct().Count());
    }

    private static SipMessage Response(string? contact) => SipText.Parsed(
        "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 192.0.2.9;branch=z9hG4bKc\r\nFrom: <sip:a@192.0.2.9>;tag=f\r\nTo: <sip:b@192.0.2.1>;tag=t\r\n"
        + "Call-ID: c@192.0.2.9\r\nCSeq: 1 INVITE\r\n" + (contact is null ? string.Empty : $"Contact: {contact}\r\n") + "Content-Length: 0\r\n\r\n");
}
