using System.Net;
using Calltracking.Shared.Routing;

namespace Calltracking.Shared.Tests.Routing;

public sealed class TrustedSourcesTests
{
    private static readonly TrustedSources Carriers = TrustedSources.Parse(["10.20.0.0/16", "192.0.2.7", " 2001:db8:abcd::/48 ", "198.51.100.0/23"]);

    [Theory]
    [InlineData("10.20.0.1", true)]
    [InlineData("10.20.255.254", true)]
    [InlineData("10.21.0.1", false)]
    [InlineData("192.0.2.7", true)]
    [InlineData("192.0.2.8", false)]
    [InlineData("198.51.101.9", true)]
    [InlineData("198.51.102.9", false)]
    [InlineData("2001:db8:abcd:12::1", true)]
    [InlineData("2001:db8:abce::1", false)]
    [InlineData("::ffff:10.20.3.4", true)]
    public void Matches_addresses_inside_the_blocks(string address, bool trusted) =>
        Assert.Equal(trusted, Carriers.Contains(IPAddress.Parse(address)));

    [Theory]
    [InlineData("10.0.0.0/33")]
    [InlineData("carrier.example")]
    [InlineData("10.0.0.0/")]
    [InlineData("10.0.0.0/-1")]
    [InlineData("2001:db8::/129")]
    [InlineData("")]
    public void A_bad_entry_is_named(string entry)
    {
        var error = Assert.Throws<FormatException>(() => TrustedSources.Parse(["10.0.0.0/8", entry]));
        Assert.Contains($"'{entry.Trim()}'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_empty_list_trusts_nobody() => Assert.False(TrustedSources.Parse([]).Contains(IPAddress.Loopback));

    [Fact]
    public void Zero_prefix_trusts_everyone_of_the_family()
    {
        var all = TrustedSources.Parse(["0.0.0.0/0"]);
        Assert.True(all.Contains(IPAddress.Parse("203.0.113.9")));
        Assert.False(all.Contains(IPAddress.IPv6Loopback));
    }
}
