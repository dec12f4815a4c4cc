using Calltracking.Edge.Sip.Routing;
using Calltracking.Shared.Routing;

namespace Calltracking.Edge.Sip.Tests.Routing;

public sealed class ForwardingHeadersTests
{
    private static RouteDecision Route(Attribution attribution, IReadOnlyList<KeyValuePair<string, string>>? custom = null, string? staticSource = null) => new()
    {
        ProjectId = 10001,
        ScriptId = 7,
        PhoneId = 70,
        DialedNumber = "74951234567",
        Caller = "79161234567",
        Redirect = RedirectType.Phone,
        RedirectValue = "74990000000",
        StaticSource = staticSource,
        Attribution = attribution,
        Settings = new ProjectCallSettings { CustomHeaders = custom ?? [] },
    };

    private static readonly Attribution Visit = new("483920", "direct_search_1234567_buy glasses", AttributionConfidence.Exclusive,
        new Dictionary<string, string> { ["city"] = "Moscow", ["domain"] = "shop.example", ["utm_source"] = "evil\r\nVia: SIP/2.0/UDP attacker" });

    [Fact]
    public void Carries_the_visit_the_marker_and_the_dialed_number()
    {
        var headers = ForwardingHeaders.Build(Route(Visit));
        Assert.Equal(new KeyValuePair<string, string>("x-roistat-phone", "74951234567"), headers[0]);
        Assert.Equal(new KeyValuePair<string, string>("x-roistat-marker", "direct_search_1234567_buy glasses"), headers[1]);
        Assert.Equal(new KeyValuePair<string, string>("x-roistat", "483920"), headers[2]);
    }

    [Fact]
    public void Static_scripts_send_the_channel_marker_as_x_roistat()
    {
        var headers = ForwardingHeaders.Build(Route(Attribution.Unknown, staticSource: "yandex_direct"));
        Assert.Equal("yandex_direct", headers.Single(h => h.Key == "x-roistat").Value);
    }

    [Fact]
    public void Unattributed_calls_send_empty_values()
    {
        var headers = ForwardingHeaders.Build(Route(Attribution.Unknown));
        Assert.Equal(string.Empty, headers.Single(h => h.Key == "x-roistat").Value);
        Assert.Equal(string.Empty, headers.Single(h => h.Key == "x-roistat-marker").Value);
    }

    [Fact]
    public void Custom_headers_fill_placeholders_and_leave_unknown_ones_empty()
    {
        var custom = ForwardingHeaders.ParseSetting("my-city={city}, my-domain={domain}, X-Who={visit}/{nope}, brace={{literal}");
        var headers = ForwardingHeaders.Build(Route(Visit, custom));
        Assert.Equal("Moscow", headers.Single(h => h.Key == "my-city").Value);
        Assert.Equal("shop.example", headers.Single(h => h.Key == "my-domain").Value);
        Assert.Equal("483920/", headers.Single(h => h.Key == "X-Who").Value);
        Assert.Equal("{literal}", headers.Single(h => h.Key == "brace").Value);
    }

    [Fact]
    public void Visitor_controlled_values_cannot_inject_lines()
    {
        var custom = ForwardingHeaders.ParseSetting("X-Source={utm_source}");
        var value = ForwardingHeaders.Build(Route(Visit, custom)).Single(h => h.Key == "X-Source").Value;
        Assert.DoesNotContain('\r', value);
        Assert.DoesNotContain('\n', value);
        Assert.Equal("evil Via: SIP/2.0/UDP attacker", value);
    }

    [Fact]
    public void Long_values_are_cut()
    {
        var long_ = new string('a', 5000);
        Assert.Equal(ForwardingHeaders.MaxValueLength, ForwardingHeaders.Sanitize(long_).Length);
    }

    [Theory]
    [InlineData("my city={city}", "my city")]
    [InlineData("x:y=1", "x:y")]
    [InlineData("novalue", "novalue")]
    [InlineData("=v", "=v")]
    [InlineData("Via=x", "Via")]
    [InlineData("x-roistat-phone=1", "x-roistat-phone")]
    public void Bad_setting_is_an_error_naming_the_header(string setting, string named)
    {
        var error = Assert.Throws<FormatException>(() => ForwardingHeaders.ParseSetting(setting));
        Assert.Contains(named, error.Message, StringComparison.Ordinal);
    }
}
