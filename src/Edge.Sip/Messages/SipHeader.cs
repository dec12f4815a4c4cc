using System.Text;

namespace Calltracking.Edge.Sip.Messages;

/// <summary>
/// One header line. The value stays as the bytes received (a slice of the message buffer) until someone asks for
/// it as text, so headers the edge only passes along are never decoded.
/// </summary>
public readonly struct SipHeader
{
    public SipHeader(string name, ReadOnlyMemory<byte> rawValue)
    {
        Name = name;
        RawValue = rawValue;
    }

    public SipHeader(string name, string value)
        : this(name, Encoding.UTF8.GetBytes(value))
    {
    }

    /// <summary>Canonical name for known headers (compact forms expanded), otherwise as received.</summary>
    public string Name { get; }

    public ReadOnlyMemory<byte> RawValue { get; }

    public string Value => Encoding.UTF8.GetString(RawValue.Span);

    public bool Is(string name) => string.Equals(Name, name, StringComparison.OrdinalIgnoreCase);

    public override string ToString() => $"{Name}: {Value}";
}
