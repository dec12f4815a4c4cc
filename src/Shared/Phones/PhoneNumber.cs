namespace Calltracking.Shared.Phones;

/// <summary>
/// Phone numbers as carriers and people write them, reduced to E.164 digits. Russian numbers follow the
/// normalisation rules of the settings page: <c>8XXXXXXXXXX</c>, <c>+7XXXXXXXXXX</c> and <c>7XXXXXXXXXX</c> are the
/// same subscriber <c>7XXXXXXXXXX</c>, and a bare 10-digit number gets the 7 prefix. Other countries keep their digits.
/// </summary>
public static class PhoneNumber
{
    public const int MinDigits = 7;
    public const int MaxDigits = 15;

    /// <summary>
    /// Extracts the digits of a number from <c>+7 (495) 123-45-67</c>, <c>8 495 1234567</c>, <c>tel:+74951234567</c>,
    /// <c>sip:+7-495-123-45-67@host</c>, a SIP user part with visual separators or %-escapes.
    /// </summary>
    /// <returns>false with a reason when the text is not a phone number (letters, too short or long).</returns>
    public static bool TryParseDigits(ReadOnlySpan<char> text, out string digits, out string? error)
    {
        digits = string.Empty;
        error = null;
        text = text.Trim();
        if (text.StartsWith("tel:", StringComparison.OrdinalIgnoreCase))
        {
            text = text[4..];
            var semicolon = text.IndexOf(';');
            if (semicolon >= 0)
            {
                text = text[..semicolon];
            }
        }
        else if (text.StartsWith("sip:", StringComparison.OrdinalIgnoreCase) || text.StartsWith("sips:", StringComparison.OrdinalIgnoreCase))
        {
            text = text[(text.IndexOf(':') + 1)..];
            var at = text.IndexOf('@');
            if (at >= 0)
            {
                text = text[..at];
            }

            var semicolon = text.IndexOf(';');
            if (semicolon >= 0)
            {
                text = text[..semicolon];
            }
        }

        Span<char> buffer = stackalloc char[MaxDigits + 1];
        var count = 0;
        var plusSeen = false;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '%' && i + 2 < text.Length && text[i + 1] == '2' && (text[i + 2] == 'B' || text[i + 2] == 'b'))
            {
                c = '+';
                i += 2;
            }

            if (char.IsAsciiDigit(c))
            {
                if (count == MaxDigits)
                {
                    error = $"a phone number has at most {MaxDigits} digits";
                    return false;
                }

                buffer[count++] = c;
            }
            else if (c == '+')
            {
                if (plusSeen || count > 0)
                {
                    error = "'+' may only start a phone number";
                    return false;
                }

                plusSeen = true;
            }
            else if (c is not (' ' or '-' or '(' or ')' or '.' or '\u00A0'))
            {
                error = $"'{c}' is not allowed in a phone number";
                return false;
            }
        }

        if (count < MinDigits)
        {
            error = count == 0 ? "no digits in the phone number" : $"a phone number has at least {MinDigits} digits";
            return false;
        }

        digits = new string(buffer[..count]);
        return true;
    }

    /// <summary>Digits normalised to E.164 without '+' (Russian rules above); unchanged when <paramref name="normalize"/> is off.</summary>
    public static bool TryNormalize(ReadOnlySpan<char> text, bool normalize, out string number, out string? error)
    {
        if (!TryParseDigits(text, out var digits, out error))
        {
            number = string.Empty;
            return false;
        }

        number = normalize ? NormalizeDigits(digits) : digits;
        return true;
    }

    public static string NormalizeDigits(string digits) => digits.Length switch
    {
        11 when digits[0] == '8' => string.Concat("7", digits.AsSpan(1)),
        10 => string.Concat("7", digits),
        _ => digits,
    };

    /// <summary>The number as text for SIP user parts and keys: digits only.</summary>
    public static string Normalize(string text, bool normalize = true) =>
        TryNormalize(text, normalize, out var number, out var error) ? number : throw new FormatException($"'{text}' is not a phone number: {error}");
}
