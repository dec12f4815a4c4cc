using System.Runtime.CompilerServices;
using System.Text;
using Calltracking.Edge.Sip.Transport;

namespace Calltracking.Edge.Sip.Routing;

/// <summary>
/// What an answered call needs to write its requests on both legs (RFC 3261 §12.1): on each leg the remote target,
/// the edge's From and the peer's To, and where the carrier's requests go. The text is kept as UTF-8 in one array on
/// the pinned object heap, written once when the call is answered and only read after. Young collections neither copy
/// nor scan that heap. Before, these were six strings per call, each copied by every young collection for as long as
/// the call lasted (docs/sip.md).
/// </summary>
internal sealed class DialogText
{
    private readonly byte[] text;
    private Ends ends;

    private DialogText(byte[] text, SipEndPoint carrierDestination, SipTransportKind carrierTransport)
    {
        this.text = text;
        CarrierDestination = carrierDestination;
        CarrierTransport = carrierTransport;
    }

    /// <summary>Where requests to the carrier are sent: where its INVITE's responses went.</summary>
    public SipEndPoint CarrierDestination { get; }

    /// <summary>The transport the carrier's INVITE came over, for the Via of requests towards it.</summary>
    public SipTransportKind CarrierTransport { get; }

    public ReadOnlyMemory<byte> this[DialogPart part]
    {
        get
        {
            var index = (int)part;
            var start = index == 0 ? 0 : ends[index - 1];
            return text.AsMemory(start, ends[index] - start);
        }
    }

    /// <summary>The bytes held, for tests and the heap's accounting.</summary>
    public int Length => text.Length;

    /// <summary>
    /// Makes the text from its parts, one per <see cref="DialogPart"/> in that order. Each part is UTF-8 bytes followed
    /// by an optional string, so a header value received as bytes and the tag the edge adds need no string together.
    /// </summary>
    public static DialogText Of(
        Part carrierTarget, Part carrierFrom, Part carrierTo, Part calleeTarget, Part calleeFrom, Part calleeTo, SipEndPoint carrierDestination, SipTransportKind carrierTransport)
    {
        var length = carrierTarget.Length + carrierFrom.Length + carrierTo.Length + calleeTarget.Length + calleeFrom.Length + calleeTo.Length;
        var dialog = new DialogText(GC.AllocateUninitializedArray<byte>(length, pinned: true), carrierDestination, carrierTransport);
        var at = 0;
        dialog.ends[0] = at += carrierTarget.WriteTo(dialog.text.AsSpan(at));
        dialog.ends[1] = at += carrierFrom.WriteTo(dialog.text.AsSpan(at));
        dialog.ends[2] = at += carrierTo.WriteTo(dialog.text.AsSpan(at));
        dialog.ends[3] = at += calleeTarget.WriteTo(dialog.text.AsSpan(at));
        dialog.ends[4] = at += calleeFrom.WriteTo(dialog.text.AsSpan(at));
        dialog.ends[5] = calleeTo.WriteTo(dialog.text.AsSpan(at)) + at;
        return dialog;
    }

    public const int PartCount = 6;

    /// <summary>One part: bytes as received, then text (either may be empty).</summary>
    public readonly ref struct Part(ReadOnlySpan<byte> bytes, string? suffix = null)
    {
        private readonly ReadOnlySpan<byte> bytes = bytes;

        public Part(string text)
            : this(default, text)
        {
        }

        public int Length => bytes.Length + (suffix is null ? 0 : Encoding.UTF8.GetByteCount(suffix));

        public int WriteTo(Span<byte> destination)
        {
            bytes.CopyTo(destination);
            return bytes.Length + (suffix is null ? 0 : Encoding.UTF8.GetBytes(suffix, destination[bytes.Length..]));
        }
    }

    [InlineArray(PartCount)]
    private struct Ends
    {
        private int end;
    }
}

/// <summary>The parts of a <see cref="DialogText"/>, in the order they are written.</summary>
internal enum DialogPart
{
    /// <summary>Where requests to the carrier go: its INVITE's Contact URI, else its From URI.</summary>
    CarrierTarget,

    /// <summary>The edge's From towards the carrier: the INVITE's To, with the edge's tag.</summary>
    CarrierFrom,

    /// <summary>The carrier's side as To: the INVITE's From.</summary>
    CarrierTo,

    /// <summary>Where requests to the callee go: its 2xx's Contact URI, else the target's URI.</summary>
    CalleeTarget,

    /// <summary>The edge's From towards the callee, as on the callee INVITE.</summary>
    CalleeFrom,

    /// <summary>The callee's side as To: the target's URI with the callee's tag.</summary>
    CalleeTo,
}
