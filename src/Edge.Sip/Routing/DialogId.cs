namespace Calltracking.Edge.Sip.Routing;

/// <summary>
/// One leg's dialog as the router finds it: the leg's Call-ID and the edge's tag on that leg, held as the call's own
/// strings. Its text form, <c>Call-ID|tag</c>, is what an in-dialog request's key is written as (in place, from the
/// received bytes) and what the ended-dialog table keeps; the call holds no string of that form for as long as it
/// lasts, which was two strings a call for every young collection to copy.
/// </summary>
internal readonly record struct DialogId(string CallId, string Tag)
{
    /// <summary>Room for a dialog key written in place (Call-ID, '|', tag); a longer one is made as a string.</summary>
    public const int Room = 512;

    public int Length => CallId.Length + 1 + Tag.Length;

    /// <summary>True when <paramref name="key"/> is this dialog's <c>Call-ID|tag</c>.</summary>
    public bool Matches(ReadOnlySpan<char> key) =>
        key.Length == Length
        && key.StartsWith(CallId, StringComparison.Ordinal)
        && key[CallId.Length] == '|'
        && key[(CallId.Length + 1)..].SequenceEqual(Tag);

    /// <summary>Writes <c>Call-ID|tag</c> into <paramref name="destination"/>, which holds at least <see cref="Length"/> characters.</summary>
    public ReadOnlySpan<char> WriteTo(Span<char> destination)
    {
        CallId.CopyTo(destination);
        destination[CallId.Length] = '|';
        Tag.CopyTo(destination[(CallId.Length + 1)..]);
        return destination[..Length];
    }

    /// <summary>
    /// <c>Call-ID|tag</c> written into <paramref name="buffer"/> when it fits (<see cref="Room"/> characters), else made
    /// as a string.
    /// </summary>
    public ReadOnlySpan<char> Text(Span<char> buffer) => Length <= buffer.Length ? WriteTo(buffer) : ToString();

    /// <summary>The key as a string, for a dialog too long to write in place.</summary>
    public override string ToString() => string.Concat(CallId, "|", Tag);
}

/// <summary>
/// Compares dialogs by their <c>Call-ID|tag</c> text, and lets the live dialogs be looked up by that text as a span
/// (an in-dialog request's key, written in place). The hash is the string hash of the text, so both agree.
/// </summary>
internal sealed class DialogIdComparer : IEqualityComparer<DialogId>, IAlternateEqualityComparer<ReadOnlySpan<char>, DialogId>
{
    public static readonly DialogIdComparer Instance = new();

    public bool Equals(DialogId x, DialogId y) =>
        string.Equals(x.CallId, y.CallId, StringComparison.Ordinal) && string.Equals(x.Tag, y.Tag, StringComparison.Ordinal);

    [System.Runtime.CompilerServices.SkipLocalsInit] // written before it is hashed
    public int GetHashCode(DialogId id)
    {
        Span<char> buffer = stackalloc char[DialogId.Room];
        return string.GetHashCode(id.Text(buffer));
    }

    public bool Equals(ReadOnlySpan<char> alternate, DialogId other) => other.Matches(alternate);

    public int GetHashCode(ReadOnlySpan<char> alternate) => string.GetHashCode(alternate);

    /// <summary>Only for an add through the span lookup, which the router never does.</summary>
    public DialogId Create(ReadOnlySpan<char> alternate)
    {
        var bar = alternate.LastIndexOf('|');
        return bar < 0 ? new DialogId(alternate.ToString(), string.Empty) : new DialogId(alternate[..bar].ToString(), alternate[(bar + 1)..].ToString());
    }
}
