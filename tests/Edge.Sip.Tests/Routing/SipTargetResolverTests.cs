using System.Net;
using Calltracking.Edge.Sip.Routing;
using DnsClient;

namespace Calltracking.Edge.Sip.Tests.Routing;

public sealed class SipTargetResolverTests : IDisposable
{
    private readonly TestDnsServer dns = new();
    private readonly SipTargetResolver resolver;

    public SipTargetResolverTests()
    {
        var client = new LookupClient(new LookupClientOptions(new NameServer(dns.EndPoint))
        {
            UseCache = false,
            Timeout = TimeSpan.FromSeconds(2),
            Retries = 0,
            ContinueOnDnsError = false,
        });
        resolver = new SipTargetResolver(client);
    }

    public void Dispose() => dns.Dispose();

    [Fact]
    public async Task Ip_literals_are_used_as_they_are()
    {
        var targets = await resolver.ResolveAsync("[2001:db8::5]", null, null, secure: false, default);
        Assert.Equal(new IPEndPoint(IPAddress.Parse("2001:db8::5"), 5060), Assert.Single(targets).EndPoint);
        Assert.Equal(0, dns.Queries);
    }

    [Fact]
    public async Task Srv_records_are_tried_by_priority_with_their_ports()
    {
        dns.AddSrv("_sip._udp.pbx.test", 20, 0, 5080, "backup.pbx.test");
        dns.AddSrv("_sip._udp.pbx.test", 10, 0, 5070, "main.pbx.test");
        dns.AddA("main.pbx.test", IPAddress.Parse("192.0.2.10"));
        dns.AddA("backup.pbx.test", IPAddress.Parse("192.0.2.20"));

        var targets = await resolver.ResolveAsync("pbx.test", null, null, secure: false, default);

        Assert.Equal(
            [new IPEndPoint(IPAddress.Parse("192.0.2.10"), 5070), new IPEndPoint(IPAddress.Parse("192.0.2.20"), 5080)],
            targets.Select(t => t.EndPoint));
        Assert.All(targets, t => Assert.Equal("udp", t.Transport));
    }

    [Fact]
    public async Task Tcp_transport_asks_for_the_tcp_service()
    {
        dns.AddSrv("_sip._tcp.pbx.test", 10, 0, 5090, "tcp.pbx.test");
        dns.AddA("tcp.pbx.test", IPAddress.Parse("192.0.2.30"));

        var targets = await resolver.ResolveAsync("pbx.test", null, "TCP", secure: false, default);

        Assert.Equal(new ResolvedTarget(new IPEndPoint(IPAddress.Parse("192.0.2.30"), 5090), "tcp"), Assert.Single(targets));
    }

    [Fact]
    public async Task Without_srv_the_name_is_resolved_on_the_default_port()
    {
        var targets = await resolver.ResolveAsync("localhost", null, null, secure: false, default);
        Assert.Contains(targets, t => IPAddress.IsLoopback(t.EndPoint.Address) && t.EndPoint.Port == 5060);
    }

    [Fact]
    public async Task An_explicit_port_skips_srv()
    {
        var targets = await resolver.ResolveAsync("localhost", 5099, null, secure: false, default);
        Assert.All(targets, t => Assert.Equal(5099, t.EndPoint.Port));
        Assert.Equal(0, dns.Queries);
    }

    [Fact]
    public async Task An_unknown_name_resolves_to_nothing()
    {
        var targets = await resolver.ResolveAsync("nowhere.invalid", null, null, secure: false, default);
        Assert.Empty(targets);
    }
}
