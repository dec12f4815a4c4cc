using Calltracking.Edge.Host.Registrations;
using Calltracking.Edge.Testing;
using Calltracking.Shared.Registrations;
using StackExchange.Redis;

namespace Calltracking.Edge.Host.Tests.Registrations;

public sealed class RedisRegistrationStoreTests(EdgeStoresFixture stores) : IClassFixture<EdgeStoresFixture>
{
    private RedisRegistrationStore Store(out ConnectionMultiplexer connection)
    {
        connection = ConnectionMultiplexer.Connect(stores.Redis.Configuration);
        return new RedisRegistrationStore(connection, TimeProvider.System);
    }

    private static ContactBinding Binding(string contact, TimeSpan ttl, float q = 1.0f) =>
        new(contact, "udp:192.0.2.10:5060", "edge-a", "reg-1@pbx", 1, DateTimeOffset.UtcNow + ttl, q);

    [Fact]
    public async Task Several_contacts_are_returned_highest_q_first()
    {
        var store = Store(out var connection);
        using var _ = connection;
        await store.UpsertAsync("10001_office", Binding("sip:a@192.0.2.10", TimeSpan.FromMinutes(5), 0.5f), default);
        await store.UpsertAsync("10001_office", Binding("sip:b@192.0.2.11", TimeSpan.FromMinutes(5), 0.9f), default);

        var bindings = await store.GetAsync("10001_office", DateTimeOffset.UtcNow, default);

        Assert.Equal(["sip:b@192.0.2.11", "sip:a@192.0.2.10"], bindings.Select(b => b.ContactUri));
    }

    [Fact]
    public async Task Refreshing_a_contact_replaces_it_and_expired_ones_vanish()
    {
        var store = Store(out var connection);
        using var _ = connection;
        await store.UpsertAsync("10001_refresh", Binding("sip:a@192.0.2.10", TimeSpan.FromMinutes(1)), default);
        await store.UpsertAsync("10001_refresh", Binding("sip:a@192.0.2.10", TimeSpan.FromHours(1)) with { CSeq = 2 }, default);
        await store.UpsertAsync("10001_refresh", Binding("sip:gone@192.0.2.12", TimeSpan.FromMilliseconds(1)), default);

        var later = await store.GetAsync("10001_refresh", DateTimeOffset.UtcNow.AddMinutes(2), default);

        var only = Assert.Single(later);
        Assert.Equal(2, only.CSeq);
    }

    [Fact]
    public async Task An_expiry_in_the_past_unregisters_and_remove_all_clears()
    {
        var store = Store(out var connection);
        using var _ = connection;
        await store.UpsertAsync("10001_unreg", Binding("sip:a@192.0.2.10", TimeSpan.FromMinutes(5)), default);
        await store.UpsertAsync("10001_unreg", Binding("sip:b@192.0.2.10", TimeSpan.FromMinutes(5)), default);
        await store.UpsertAsync("10001_unreg", Binding("sip:a@192.0.2.10", TimeSpan.FromSeconds(-1)), default);
        Assert.Equal(["sip:b@192.0.2.10"], (await store.GetAsync("10001_unreg", DateTimeOffset.UtcNow, default)).Select(b => b.ContactUri));

        await store.RemoveAllAsync("10001_unreg", default);
        Assert.Empty(await store.GetAsync("10001_unreg", DateTimeOffset.UtcNow, default));
    }

    [Fact]
    public async Task The_key_expires_with_its_last_binding()
    {
        var store = Store(out var connection);
        using var _ = connection;
        await store.UpsertAsync("10001_ttl", Binding("sip:a@192.0.2.10", TimeSpan.FromSeconds(30)), default);
        var ttl = await connection.GetDatabase().KeyTimeToLiveAsync("edge:reg:{10001_ttl}");
        Assert.NotNull(ttl);
        Assert.InRange(ttl.Value, TimeSpan.FromSeconds(20), TimeSpan.FromSeconds(31));
    }

    [Fact]
    public async Task Another_instance_sees_the_binding()
    {
        var store = Store(out var first);
        using var _ = first;
        using var second = ConnectionMultiplexer.Connect(stores.Redis.Configuration);
        await store.UpsertAsync("10001_shared", Binding("sip:pbx@192.0.2.10", TimeSpan.FromMinutes(5)), default);

        var seen = await new RedisRegistrationStore(second, TimeProvider.System).GetAsync("10001_shared", DateTimeOffset.UtcNow, default);

        Assert.Equal("sip:pbx@192.0.2.10", Assert.Single(seen).ContactUri);
    }
}
