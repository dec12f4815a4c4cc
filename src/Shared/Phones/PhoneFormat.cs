namespace Calltracking.Shared.Phones;

/// <summary>
/// A script's <c>phone_format</c>: the country prefix as digits (optionally with a sign), every other digit an X,
/// any other characters kept as written — <c>8 (XXX) XXX-XX-XX</c>, <c>+7 XXX XXX-XX-XX</c>, <c>+7XXXXXXXXXX</c>.
/// </summary>
public sealed class PhoneFormat
{
    private PhoneFormat(string pattern, string prefix, int xCount)
    {
        Pattern = pattern;
        Prefix = prefix;
        XCount = xCount;
    }

    public string Pattern { get; }

    /// <summary>The digits before the first X (the country prefix as shown, e.g. "8" or "7").</summary>
    public string Prefix { get; }

    public int XCount { get; }

    public static bool TryParse(string? pattern, out PhoneFormat? format, out string? error)
    {
        format = null;
        error = null;
        if (string.IsNullOrWhiteSpace(pattern))
        {
            error = "phone_format must not be empty";
            return false;
        }

        var prefix = new System.Text.StringBuilder();
        var xCount = 0;
        foreach (var c in pattern)
        {
            if (c is 'X' or 'x')
            {
                xCount++;
            }
            else if (char.IsAsciiDigit(c))
            {
                if (xCount > 0)
                {
                    error = "phone_format may hold digits only in the country prefix, before the first X";
                    return false;
                }

                prefix.Append(c);
            }
            else if (c is not (' ' or '-' or '(' or ')' or '+' or '.'))
            {
                error = $"phone_format may not contain '{c}'";
                return false;
            }
        }

        if (xCount is < 4 or > 14)
        {
            error = "phone_format must hold between 4 and 14 X";
            return false;
        }

        format = new PhoneFormat(pattern, prefix.ToString(), xCount);
        return true;
    }

    /// <summary>Writes a normalised number in this format; false when the number's length does not fit.</summary>
    public bool TryFormat(string number, out string formatted, out string? error)
    {
        formatted = string.Empty;
        error = null;
        if (number.Length < XCount)
        {
            error = $"the number {number} has fewer digits than phone_format {Pattern} needs";
            return false;
        }

        // The national part is the last XCount digits; the country code of the number is replaced by the format's prefix.
        var national = number.AsSpan(number.Length - XCount);
        var result = new char[Pattern.Length];
        var next = 0;
        for (var i = 0; i < Pattern.Length; i++)
        {
            result[i] = Pattern[i] is 'X' or 'x' ? national[next++] : Pattern[i];
        }

        formatted = new string(result);
        return true;
    }
}
