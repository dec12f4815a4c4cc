using Calltracking.Edge.Sip.Routing;
using Microsoft.Extensions.Options;

namespace Calltracking.Edge.Sip.Tests.Routing;

public sealed class GatewayAddressTests
{
    [Theory]
    [InlineData("192.0.2.1", "192.0.2.1", 5060, "udp")]
    [InlineData("192.0.2.1:5070", "192.0.2.1", 5070, "udp")]
    [InlineData("gw.carrier.example:5080;transport=TCP", "gw.carrier.example", 5080, "tcp")]
    [InlineData("[2001:db8::1]:5062", "2001:db8::1", 5062, "udp")]
    public void Parses_host_port_and_transport(string text, string host, int port, string transport)
    {
        Assert.True(GatewayAddress.TryParse(text, out var address));
        Assert.Equal(new GatewayAddress(host, port, transport), address);
    }

    [Theory]
    [InlineData("")]
    [InlineData("gw:0")]
    [InlineData("gw:70000")]
    [InlineData("gw:50x")]
    [InlineData("gw;transport=sctp")]
    [InlineData("gw;lr")]
    [InlineData("[2001:db8::1")]
    [InlineData("g w")]
    public void Rejects_bad_addresses(string text) => Assert.False(GatewayAddress.TryParse(text, out _));

    [Fact]
    public void Validation_names_each_bad_setting()
    {
        var options = new RoutingOptions
        {
            Carriers = [new CarrierOptions { Cidr = "10.0.0.0/8" }, new CarrierOptions { Cidr = "carrier" }],
            OutboundGateways = ["gw:5060", "gw:99999"],
            DefaultRingTimeoutSeconds = 1,
            MaxQueueDelayMilliseconds = -5,
            MaxCallSeconds = -1,
        };

        var result = new RoutingOptionsValidation().Validate(null, options);

        Assert.True(result.Failed);
        Assert.Contains("Routing:Carriers:1:Cidr", result.FailureMessage, StringComparison.Ordinal);
        Assert.Contains("Routing:OutboundGateways:1", result.FailureMessage, StringComparison.Ordinal);
        Assert.Contains("Routing:DefaultRingTimeoutSeconds", result.FailureMessage, StringComparison.Ordinal);
        Assert.Contains("Routing:MaxQueueDelayMilliseconds", result.FailureMessage, StringComparison.Ordinal);
        Assert.Contains("Routing:MaxCallSeconds", result.FailureMessage, StringComparison.Ordinal);
        Assert.DoesNotContain("Routing:Carriers:0", result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void Defaults_are_valid() => Assert.Equal(ValidateOptionsResult.Success, new RoutingOptionsValidation().Validate(null, new RoutingOptions()));
}
