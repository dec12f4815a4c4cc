using System.Buffers;
using System.Text;

namespace Calltracking.Edge.Sip.Messages;

/// <summary>
/// UTF-8 header bytes decoded for the char-based grammar: into the caller's stack buffer when they fit, into a
/// rented array otherwise (returned on dispose). No string is made.
/// </summary>
internal ref struct Utf8Chars
{
    /// <summary>What callers stackalloc: longer than almost every header value.</summary>
    public const int StackSize = 512;

    private char[]? rented;

    public Utf8Chars(ReadOnlySpan<byte> utf8, Span<char> stack)
    {
        // UTF-8 never decodes to more chars than it has bytes. Header text is nearly always ASCII, which widens
        // without the decoder's overhead; anything else goes through the UTF-8 decoder.
        var buffer = utf8.Length <= stack.Length ? stack : (rented = ArrayPool<char>.Shared.Rent(utf8.Length));
        Chars = Ascii.ToUtf16(utf8, buffer, out var written) == OperationStatus.Done
            ? buffer[..written]
            : buffer[..Encoding.UTF8.GetChars(utf8, buffer)];
    }

    public ReadOnlySpan<char> Chars { get; }

    public void Dispose()
    {
        if (rented is not null)
        {
            ArrayPool<char>.Shared.Return(rented);
            rented = null;
        }
    }
}
