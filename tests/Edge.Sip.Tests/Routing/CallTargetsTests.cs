using System.Net;
using Calltracking.Edge.Sip.Routing;
using Calltracking.Shared.Registrations;
using Calltracking.Shared.Routing;
using DnsClient;
using Microsoft.Extensions.Options;

namespace Calltracking.Edge.Sip.Tests.Routing;

/// <summary>
/// Targets that need no DNS are made once per script and shared by its calls; names are resolved for every call, so
/// a changed record is followed at once.
/// </summary>
public sealed class CallTargetsTests : IDisposable
{
    private readonly TestDnsServer dns = new();
    private readonly RoutingOptions options = new();
    private readonly CallTargets targets;

    public CallTargetsTests()
    {
        var client = new LookupClient(new LookupClientOptions(new NameServer(dns.EndPoint))
        {
            UseCache = false,
            Timeout = TimeSpan.FromSeconds(2),
            Retries = 0,
            ContinueOnDnsError = false,
        });
        targets = new CallTargets(Options.Create(options), new SipTargetResolver(client), new NoRegistrations(), TimeProvider.System);
    }

    public void Dispose() => dns.Dispose();

    [Theory]
    [InlineData("sip:pbx@192.0.2.7:5070")]
    [InlineData("sip:pbx@[2001:db8::7];transport=tcp")]
    public async Task A_literal_uri_is_one_list_for_every_call(string uri)
    {
        var first = await targets.ResolveAsync(Route(RedirectType.Sip, uri), default);
        var second = await targets.ResolveAsync(Route(RedirectType.Sip, uri), default);

        Assert.Same(first, second);
        Assert.Single(first);
        Assert.Equal(0, dns.Queries);
    }

    [Fact]
    public async Task A_name_is_resolved_for_every_call_and_a_changed_record_is_followed()
    {
        dns.AddSrv("_sip._udp.pbx.test", 10, 0, 5070, "main.pbx.test");
        dns.AddA("main.pbx.test", IPAddress.Parse("192.0.2.10"));
        var first = await targets.ResolveAsync(Route(RedirectType.Sip, "sip:pbx@pbx.test"), default);
        dns.AddA("main.pbx.test", IPAddress.Parse("192.0.2.11"));
        var second = await targets.ResolveAsync(Route(RedirectType.Sip, "sip:pbx@pbx.test"), default);

        Assert.Equal(IPAddress.Parse("192.0.2.10"), Assert.Single(first).Destination.Address.Address);
        Assert.Equal(IPAddress.Parse("192.0.2.11"), Assert.Single(second).Destination.Address.Address);
        Assert.Equal(2, dns.Queries);
        Assert.Equal(0, targets.LiteralListCount);
    }

    [Fact]
    public async Task Literal_gateways_are_one_list_per_forwarded_number()
    {
        options.OutboundGateways.AddRange(["192.0.2.1:5060", "192.0.2.2:5080"]);
        var settings = new ProjectCallSettings { NumberMap = new Dictionary<string, string> { ["74950000001"] = "74959999999" } };

        var first = await targets.ResolveAsync(Route(RedirectType.Phone, "74950000001", settings), default);
        var again = await targets.ResolveAsync(Route(RedirectType.Phone, "74950000001", settings), default);
        var other = await targets.ResolveAsync(Route(RedirectType.Phone, "74950000002", settings), default);

        Assert.Same(first, again);
        Assert.Equal(["74959999999", "74959999999"], first.Select(t => t.RequestUri.User));
        Assert.Equal([5060, 5080], first.Select(t => t.Destination.Address.Port));
        Assert.Equal(["74950000002", "74950000002"], other.Select(t => t.RequestUri.User));
    }

    [Fact]
    public async Task The_memory_of_literal_lists_is_bounded()
    {
        for (var i = 0; i <= CallTargets.LiteralListsKept; i++)
        {
            await targets.ResolveAsync(Route(RedirectType.Sip, $"sip:u{i}@192.0.2.9"), default);
        }

        Assert.InRange(targets.LiteralListCount, 1, CallTargets.LiteralListsKept);
    }

    [Theory]
    [InlineData("not a uri")]
    [InlineData("tel:+74950000001")]
    public async Task A_script_uri_that_is_not_a_sip_uri_has_no_targets(string uri)
    {
        Assert.Empty(await targets.ResolveAsync(Route(RedirectType.Sip, uri), default));
        Assert.Equal(0, targets.LiteralListCount);
    }

    private static RouteDecision Route(RedirectType redirect, string value, ProjectCallSettings? settings = null) => new()
    {
        ProjectId = 1,
        ScriptId = 2,
        PhoneId = 3,
        DialedNumber = "74990000101",
        Redirect = redirect,
        RedirectValue = value,
        Settings = settings ?? ProjectCallSettings.Default,
    };

    /// <summary>No sip_trunk script is routed here; the store is never asked.</summary>
    private sealed class NoRegistrations : IRegistrationStore
    {
        public ValueTask UpsertAsync(string user, ContactBinding binding, CancellationToken cancellationToken) => throw new NotSupportedException();

        public ValueTask RemoveAsync(string user, string contactUri, CancellationToken cancellationToken) => throw new NotSupportedException();

        public ValueTask RemoveAllAsync(string user, CancellationToken cancellationToken) => throw new NotSupportedException();

        public ValueTask<IReadOnlyList<ContactBinding>> GetAsync(string user, DateTimeOffset now, CancellationToken cancellationToken) => throw new NotSupportedException();
    }
}
