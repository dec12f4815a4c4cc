using Calltracking.Shared.Phones;

namespace Calltracking.Shared.Tests.Phones;

public sealed class PhoneNumberTests
{
    [Theory]
    [InlineData("+7 (495) 123-45-67", "74951234567")]
    [InlineData("8 495 1234567", "74951234567")]
    [InlineData("74951234567", "74951234567")]
    [InlineData("tel:+74951234567", "74951234567")]
    [InlineData("tel:+7-495-123-45-67;phone-context=example.com", "74951234567")]
    [InlineData("sip:+7-495-123-45-67@carrier.example;user=phone", "74951234567")]
    [InlineData("%2B7(495)123.45.67", "74951234567")]
    [InlineData("4951234567", "74951234567")]
    [InlineData("+44 20 7946 0958", "442079460958")]
    [InlineData("  8-800-555-35-35 ", "78005553535")]
    public void Normalises_what_carriers_and_people_send(string text, string expected)
    {
        Assert.True(PhoneNumber.TryNormalize(text, normalize: true, out var number, out var error), error);
        Assert.Equal(expected, number);
    }

    [Fact]
    public void Normalisation_can_be_switched_off_per_project()
    {
        Assert.True(PhoneNumber.TryNormalize("8 (495) 123-45-67", normalize: false, out var number, out _));
        Assert.Equal("84951234567", number);
    }

    [Theory]
    [InlineData("", "no digits")]
    [InlineData("anonymous", "'a' is not allowed")]
    [InlineData("12345", "at least 7")]
    [InlineData("1234567890123456", "at most 15")]
    [InlineData("7+4951234567", "'+' may only start")]
    [InlineData("+7 495 123 45 67 ext 5", "'e' is not allowed")]
    public void Rejects_what_is_not_a_number_with_a_reason(string text, string reason)
    {
        Assert.False(PhoneNumber.TryNormalize(text, true, out _, out var error));
        Assert.Contains(reason, error, StringComparison.Ordinal);
        var thrown = Assert.Throws<FormatException>(() => PhoneNumber.Normalize(text));
        Assert.Contains(reason, thrown.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("8 (XXX) XXX-XX-XX", "74951234567", "8 (495) 123-45-67")]
    [InlineData("+7 XXX XXX-XX-XX", "74951234567", "+7 495 123-45-67")]
    [InlineData("+7XXXXXXXXXX", "74951234567", "+74951234567")]
    [InlineData("+44 XX XXXX XXXX", "442079460958", "+44 20 7946 0958")]
    public void Formats_by_the_script_phone_format(string pattern, string number, string expected)
    {
        Assert.True(PhoneFormat.TryParse(pattern, out var format, out var error), error);
        Assert.True(format!.TryFormat(number, out var formatted, out _));
        Assert.Equal(expected, formatted);
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("8 (XXX) XXX-XX-X5", "before the first X")]
    [InlineData("8 (XXX) XXX#XX-XX", "'#'")]
    [InlineData("8 XX", "between 4 and 14")]
    public void Rejects_bad_formats_with_a_reason(string pattern, string reason)
    {
        Assert.False(PhoneFormat.TryParse(pattern, out _, out var error));
        Assert.Contains(reason, error, StringComparison.Ordinal);
    }

    [Fact]
    public void A_number_too_short_for_the_format_is_an_error_not_a_guess()
    {
        Assert.True(PhoneFormat.TryParse("8 (XXX) XXX-XX-XX", out var format, out _));
        Assert.False(format!.TryFormat("1234567", out _, out var error));
        Assert.Contains("fewer digits", error, StringComparison.Ordinal);
    }
}
