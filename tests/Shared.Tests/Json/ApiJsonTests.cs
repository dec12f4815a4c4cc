using System.Text.Json;
using Calltracking.Shared.Json;

namespace Calltracking.Shared.Tests.Json;

public sealed class ApiJsonTests
{
    private sealed record Sample(long ScriptId, DateTimeOffset CreationDate, DateTimeOffset? LastUseDate, int IsEnabled);

    [Fact]
    public void Writes_snake_case_and_utc_dates_like_the_reference()
    {
        var json = JsonSerializer.Serialize(new Sample(11, DateTimeOffset.Parse("2016-10-12T11:19:23+03:00", System.Globalization.CultureInfo.InvariantCulture), null, 1), ApiJson.Options);
        Assert.Equal("""{"script_id":11,"creation_date":"2016-10-12T08:19:23+0000","last_use_date":null,"is_enabled":1}""", json);
    }

    [Theory]
    [InlineData("2016-10-11T21:00:00.000Z", "2016-10-11T21:00:00+0000")]
    [InlineData("2016-07-01T00:00:00+0300", "2016-06-30T21:00:00+0000")]
    [InlineData("2016-10-12T08:19:23+0000", "2016-10-12T08:19:23+0000")]
    [InlineData("2016-10-12", "2016-10-12T00:00:00+0000")]
    public void Reads_the_reference_date_forms(string input, string normalized)
    {
        Assert.True(ApiJson.TryParseDate(input, out var value));
        Assert.Equal(normalized, ApiJson.FormatDate(value));
    }

    [Theory]
    [InlineData("")]
    [InlineData("yesterday")]
    [InlineData("2016-13-01T00:00:00Z")]
    [InlineData("12/10/2016")]
    public void Rejects_other_dates(string input) => Assert.False(ApiJson.TryParseDate(input, out _));

    [Fact]
    public void A_bad_date_in_a_body_names_the_field()
    {
        var error = Assert.Throws<JsonException>(() => JsonSerializer.Deserialize<Sample>("""{"script_id":1,"creation_date":"soon","is_enabled":1}""", ApiJson.Options));
        Assert.Equal("$.creation_date", error.Path);
    }
}
