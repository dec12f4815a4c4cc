using System.Net;
using System.Text;
using Calltracking.Edge.Sip.Routing;
using Calltracking.Edge.Sip.Transport;

namespace Calltracking.Edge.Sip.Tests.Routing;

/// <summary>An answered call's dialog text gives back each part as written, received bytes and added text alike.</summary>
public sealed class DialogTextTests
{
    [Fact]
    public void Each_part_reads_back_as_written()
    {
        var destination = new SipEndPoint(SipTransportKind.Udp, new IPEndPoint(IPAddress.Parse("192.0.2.9"), 5060));
        var text = DialogText.Of(
            new("sip:79160000000@192.0.2.9:5060"),
            new("<sip:74990000101@192.0.2.1>"u8, ";tag=e1"),
            new("\"Иван\" <sip:79160000000@192.0.2.9>;tag=c1"u8),
            new(string.Empty),
            new("<sip:79160000000@192.0.2.1>;tag=f1"),
            new("<sip:pbx@192.0.2.5>;tag=p1"),
            destination,
            SipTransportKind.Tcp);

        Assert.Equal("sip:79160000000@192.0.2.9:5060", Read(text, DialogPart.CarrierTarget));
        Assert.Equal("<sip:74990000101@192.0.2.1>;tag=e1", Read(text, DialogPart.CarrierFrom));
        Assert.Equal("\"Иван\" <sip:79160000000@192.0.2.9>;tag=c1", Read(text, DialogPart.CarrierTo));
        Assert.Equal(string.Empty, Read(text, DialogPart.CalleeTarget));
        Assert.Equal("<sip:79160000000@192.0.2.1>;tag=f1", Read(text, DialogPart.CalleeFrom));
        Assert.Equal("<sip:pbx@192.0.2.5>;tag=p1", Read(text, DialogPart.CalleeTo));
        Assert.Equal(destination, text.CarrierDestination);
        Assert.Equal(SipTransportKind.Tcp, text.CarrierTransport);
        Assert.Equal(Enum.GetValues<DialogPart>().Sum(p => text[p].Length), text.Length);
    }

    [Fact]
    public void It_lives_outside_the_young_generation()
    {
        var text = DialogText.Of(new("a"), new("b"), new("c"), new("d"), new("e"), new("f"), default, SipTransportKind.Udp);

        // The pinned object heap is collected with the oldest generation only.
        Assert.Equal(GC.MaxGeneration, GC.GetGeneration(Array(text)));
    }

    private static object Array(DialogText text) =>
        System.Runtime.InteropServices.MemoryMarshal.TryGetArray(text[DialogPart.CarrierTarget], out var segment) ? segment.Array! : throw new InvalidOperationException();

    private static string Read(DialogText text, DialogPart part) => Encoding.UTF8.GetString(text[part].Span);
}
