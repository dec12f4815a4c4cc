using System.Text.Json;
using Calltracking.Edge.Host.Projects;
using Calltracking.Edge.NumberPool.Catalogue;
using Calltracking.Edge.NumberPool.Leases;
using Calltracking.Edge.Testing;
using Calltracking.Shared.Routing;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using StackExchange.Redis;

namespace Calltracking.Edge.NumberPool.Tests.Leases;

/// <summary>Leases on real Redis and PostgreSQL, on simulated time, with the hot scripts on the pipelined connection (as the edge runs them).</summary>
public sealed class LeaseStoreTests(EdgeStoresFixture stores) : LeaseStoreContract(stores, pipelined: true), IClassFixture<EdgeStoresFixture>;

/// <summary>The same, every script through the multiplexer (a Redis configuration the pipelined connection cannot serve, such as TLS).</summary>
public sealed class LeaseStoreOnMultiplexerTests(EdgeStoresFixture stores) : LeaseStoreContract(stores, pipelined: false), IClassFixture<EdgeStoresFixture>;

public abstract class LeaseStoreContract(EdgeStoresFixture stores, bool pipelined) : IDisposable
{
    private static int numberSeed = 1000;
    private readonly ConnectionMultiplexer redis = ConnectionMultiplexer.Connect(stores.Redis.Configuration);
    private readonly Calltracking.Edge.NumberPool.Redis.RedisScriptConnection? scripts = pipelined
        ? new(Calltracking.Edge.NumberPool.Redis.RedisScriptEndpoint.FromConfiguration(stores.Redis.Configuration)!, Microsoft.Extensions.Logging.Abstractions.NullLogger<Calltracking.Edge.NumberPool.Redis.RedisScriptConnection>.Instance)
        : null;

    private readonly FakeTimeProvider time = new(DateTimeOffset.Parse("2026-11-23T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture));

    public void Dispose()
    {
        redis.Dispose();
        scripts?.Dispose();
        GC.SuppressFinalize(this);
    }

    private static (string? Visit, AttributionConfidence Confidence) Who(LeaseResolution resolution) => (resolution.VisitId, resolution.Confidence);

    private async Task<(LeaseStore Leases, ScriptRecord Script, string[] Numbers)> PoolAsync(int size, string policy = "share", int grace = 150, string? fallback = null, PoolOptions? options = null)
    {
        var catalogue = new CatalogueStore(stores.DataSource);
        var (project, _) = await new ProjectStore(stores.DataSource).CreateAsync("leases", CancellationToken.None);
        var numbers = Enumerable.Range(0, size).Select(_ => "7499" + Interlocked.Increment(ref numberSeed).ToString("D7", System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        var body = JsonSerializer.Serialize(new
        {
            name = "pool",
            options = new { exhausted_policy = policy, lease_grace_seconds = grace, fallback_phone = fallback },
            replaceable_numbers = numbers,
        });
        var script = await catalogue.CreateScriptAsync(project, ScriptInput.Parse(JsonDocument.Parse(body).RootElement, update: false), CancellationToken.None);
        var leases = new LeaseStore(redis, catalogue, Options.Create(options ?? new PoolOptions()), time, scripts);
        return (leases, script, numbers);
    }

    [Fact]
    public async Task Each_visit_gets_its_own_number_and_keeps_it()
    {
        var (leases, script, numbers) = await PoolAsync(3);
        var a = await leases.AcquireAsync(script, "1");
        var b = await leases.AcquireAsync(script, "2");
        Assert.Equal(LeaseKind.Exclusive, a.Kind);
        Assert.NotEqual(a.Number, b.Number);
        Assert.Contains(a.Number, numbers);

        var again = await leases.AcquireAsync(script, "1");
        Assert.Equal(LeaseKind.Renewed, again.Kind);
        Assert.Equal(a.Number, again.Number);
    }

    [Fact]
    public async Task Leases_go_on_after_Redis_forgets_its_scripts()
    {
        var (leases, script, _) = await PoolAsync(2);
        var held = await leases.AcquireAsync(script, "1");
        using var admin = await ConnectionMultiplexer.ConnectAsync(stores.Redis.Configuration + ",allowAdmin=true");
        var server = admin.GetServer(admin.GetEndPoints()[0]);
        await server.ScriptFlushAsync();

        var again = await leases.AcquireAsync(script, "1");
        Assert.Equal((held.Number, LeaseKind.Renewed), (again.Number, again.Kind));
        await server.ScriptFlushAsync();
        Assert.Equal(("1", AttributionConfidence.Exclusive), Who(await leases.ResolveAsync(script.ProjectId, held.Number!, time.GetUtcNow())));
        await server.ScriptFlushAsync();
        Assert.Equal(1, await leases.HeartbeatAsync(script.ProjectId, "1"));
    }

    [Fact]
    public async Task Heartbeats_keep_the_number_and_silence_releases_it_after_the_grace_period()
    {
        var (leases, script, _) = await PoolAsync(1, grace: 60);
        var held = await leases.AcquireAsync(script, "1");
        for (var i = 0; i < 5; i++)
        {
            time.Advance(TimeSpan.FromSeconds(50));
            Assert.Equal(1, await leases.HeartbeatAsync(script.ProjectId, "1"));
        }

        Assert.Equal(("1", AttributionConfidence.Exclusive), Who(await leases.ResolveAsync(script.ProjectId, held.Number!, time.GetUtcNow())));
        time.Advance(TimeSpan.FromSeconds(61));
        Assert.Equal(0, await leases.HeartbeatAsync(script.ProjectId, "1"));
        var next = await leases.AcquireAsync(script, "2");
        Assert.Equal(LeaseKind.Exclusive, next.Kind);
        Assert.Equal(held.Number, next.Number);
    }

    [Fact]
    public async Task Released_numbers_rest_longest_before_reuse()
    {
        var (leases, script, _) = await PoolAsync(3, grace: 30);
        var first = await leases.AcquireAsync(script, "1");
        time.Advance(TimeSpan.FromSeconds(10));
        var second = await leases.AcquireAsync(script, "2");
        time.Advance(TimeSpan.FromSeconds(10));
        var third = await leases.AcquireAsync(script, "3");
        time.Advance(TimeSpan.FromSeconds(100));

        // All three expired: 1 first, then 2, then 3. The next visits get them in that order.
        Assert.Equal(first.Number, (await leases.AcquireAsync(script, "4")).Number);
        Assert.Equal(second.Number, (await leases.AcquireAsync(script, "5")).Number);
        Assert.Equal(third.Number, (await leases.AcquireAsync(script, "6")).Number);
    }

    [Fact]
    public async Task An_exhausted_pool_shares_the_number_idle_longest_and_marks_it_shared()
    {
        var (leases, script, _) = await PoolAsync(2);
        var a = await leases.AcquireAsync(script, "1");
        time.Advance(TimeSpan.FromSeconds(5));
        var b = await leases.AcquireAsync(script, "2");
        time.Advance(TimeSpan.FromSeconds(5));

        // Visit 1 opens another page (a page view counts; a heartbeat only keeps the lease), so visit 2's number is
        // the one whose holders asked for it longest ago.
        Assert.Equal(LeaseKind.Renewed, (await leases.AcquireAsync(script, "1")).Kind);
        await leases.HeartbeatAsync(script.ProjectId, "2");

        var c = await leases.AcquireAsync(script, "3");

        Assert.Equal(LeaseKind.Shared, c.Kind);
        Assert.Equal(b.Number, c.Number);
        var (visit, confidence) = Who(await leases.ResolveAsync(script.ProjectId, b.Number!, time.GetUtcNow()));
        Assert.Equal(AttributionConfidence.Shared, confidence);
        Assert.Equal("3", visit);
        Assert.NotEqual(a.Number, c.Number);
    }

    /// <summary>
    /// The number to share is the head of <c>seen:S</c>, kept with every page view and reaped with the lease; leases
    /// from before that key existed are scored once from their holders, and give the same choice.
    /// </summary>
    [Fact]
    public async Task The_idlest_number_is_kept_in_order_and_rebuilt_when_missing()
    {
        var (leases, script, numbers) = await PoolAsync(3, grace: 30);
        var db = redis.GetDatabase();
        var prefix = LeaseStore.Prefix(script.ProjectId);
        var held = new Dictionary<string, string>();
        foreach (var visit in new[] { "1", "2", "3" })
        {
            held[visit] = (await leases.AcquireAsync(script, visit)).Number!;
            time.Advance(TimeSpan.FromSeconds(2));
        }

        // Page views of 1 and 3 again: 2's number is the idlest.
        await leases.AcquireAsync(script, "1");
        await leases.AcquireAsync(script, "3");
        Assert.Equal(3, await db.SortedSetLengthAsync(prefix + "seen:" + script.Id));
        Assert.Equal(held["2"], (string?)(await db.SortedSetRangeByRankAsync(prefix + "seen:" + script.Id, 0, 0)).Single());

        // Lost (a version before it existed, or a flush of that key alone): rebuilt from the holders, same choice.
        await db.KeyDeleteAsync(prefix + "seen:" + script.Id);
        var shared = await leases.AcquireAsync(script, "4");
        Assert.Equal((LeaseKind.Shared, held["2"]), (shared.Kind, shared.Number));
        Assert.Equal(3, await db.SortedSetLengthAsync(prefix + "seen:" + script.Id));

        // Every lease ends (no heartbeats): the next request reaps them all from seen:S too, and takes a free number.
        time.Advance(TimeSpan.FromMinutes(5));
        Assert.Equal(LeaseKind.Exclusive, (await leases.AcquireAsync(script, "5")).Kind);
        Assert.Equal(1, await db.SortedSetLengthAsync(prefix + "seen:" + script.Id));
        Assert.Contains(held["1"], numbers);
    }

    [Fact]
    public async Task The_fallback_policy_shows_the_fallback_number()
    {
        var (leases, script, _) = await PoolAsync(1, policy: "fallback", fallback: "74950000000");
        await leases.AcquireAsync(script, "1");
        var second = await leases.AcquireAsync(script, "2");
        Assert.Equal(LeaseKind.Fallback, second.Kind);
        Assert.Equal("74950000000", second.Number);
    }

    [Fact]
    public async Task A_late_call_goes_to_the_last_holder_within_the_window()
    {
        var (leases, script, _) = await PoolAsync(1, grace: 30);
        var held = await leases.AcquireAsync(script, "1");
        time.Advance(TimeSpan.FromMinutes(10));
        Assert.Equal(("1", AttributionConfidence.Late), Who(await leases.ResolveAsync(script.ProjectId, held.Number!, time.GetUtcNow())));

        Assert.Equal(held.Number, (await leases.AcquireAsync(script, "2")).Number);
        Assert.Equal(("2", AttributionConfidence.Exclusive), Who(await leases.ResolveAsync(script.ProjectId, held.Number!, time.GetUtcNow())));
        time.Advance(TimeSpan.FromMinutes(5));
        Assert.Equal(("2", AttributionConfidence.Late), Who(await leases.ResolveAsync(script.ProjectId, held.Number!, time.GetUtcNow())));
        time.Advance(TimeSpan.FromMinutes(40));
        Assert.Equal((null, AttributionConfidence.None), Who(await leases.ResolveAsync(script.ProjectId, held.Number!, time.GetUtcNow())));
    }

    [Fact]
    public async Task Concurrent_visits_never_get_the_same_number_while_numbers_are_free()
    {
        var (leases, script, numbers) = await PoolAsync(40);
        var results = await Task.WhenAll(Enumerable.Range(1, 40).Select(i => leases.AcquireAsync(script, i.ToString(System.Globalization.CultureInfo.InvariantCulture))));
        Assert.All(results, r => Assert.Equal(LeaseKind.Exclusive, r.Kind));
        Assert.Equal(numbers.Order(), results.Select(r => r.Number!).Order());
    }

    [Fact]
    public async Task A_pool_lost_by_redis_is_reloaded_from_the_catalogue()
    {
        var (leases, script, numbers) = await PoolAsync(2);
        await redis.GetDatabase().KeyDeleteAsync(LeaseStore.Prefix(script.ProjectId) + "pool:" + script.Id);
        var lease = await leases.AcquireAsync(script, "1");
        Assert.Contains(lease.Number, numbers);
    }

    [Fact]
    public async Task A_number_is_traced_to_whoever_held_it_at_a_past_instant()
    {
        var (leases, script, _) = await PoolAsync(1, grace: 60);
        var number = (await leases.AcquireAsync(script, "1")).Number!;
        var whileFirst = time.GetUtcNow().AddSeconds(30);
        time.Advance(TimeSpan.FromMinutes(2));
        Assert.Equal(number, (await leases.AcquireAsync(script, "2")).Number);
        var whileSecond = time.GetUtcNow().AddSeconds(10);
        await leases.AcquireAsync(script, "3");
        var sharedAt = time.GetUtcNow().AddSeconds(5);
        time.Advance(TimeSpan.FromMinutes(10));
        Assert.Equal(number, (await leases.AcquireAsync(script, "4")).Number);

        Assert.Equal(("1", AttributionConfidence.Exclusive), Who(await leases.ResolveAsync(script.ProjectId, number, whileFirst)));
        Assert.Equal(("1", AttributionConfidence.Late), Who(await leases.ResolveAsync(script.ProjectId, number, whileFirst.AddSeconds(60))));
        Assert.Equal(AttributionConfidence.Shared, (await leases.ResolveAsync(script.ProjectId, number, whileSecond)).Confidence);
        Assert.Equal(("3", AttributionConfidence.Shared), Who(await leases.ResolveAsync(script.ProjectId, number, sharedAt)));
        Assert.Equal(("4", AttributionConfidence.Exclusive), Who(await leases.ResolveAsync(script.ProjectId, number, time.GetUtcNow())));
        Assert.Equal((null, AttributionConfidence.None), Who(await leases.ResolveAsync(script.ProjectId, number, whileFirst.AddHours(-1))));
    }

    [Fact]
    public async Task A_caller_is_traced_again_to_the_visit_it_was_attributed_to_among_the_holders_of_a_shared_number()
    {
        var (leases, script, _) = await PoolAsync(1);
        var number = (await leases.AcquireAsync(script, "1")).Number!;
        Assert.Equal(("1", AttributionConfidence.Exclusive), Who(await leases.ResolveAsync(script.ProjectId, number, time.GetUtcNow(), "79161234567")));
        time.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal(LeaseKind.Shared, (await leases.AcquireAsync(script, "2")).Kind);
        time.Advance(TimeSpan.FromSeconds(5));

        // Visit 2 is the most recently active holder, but this caller was attributed to visit 1 before.
        Assert.Equal(("1", AttributionConfidence.Shared), Who(await leases.ResolveAsync(script.ProjectId, number, time.GetUtcNow(), "79161234567")));
        Assert.Equal(("2", AttributionConfidence.Shared), Who(await leases.ResolveAsync(script.ProjectId, number, time.GetUtcNow(), "79035550000")));
        Assert.Equal(("2", AttributionConfidence.Shared), Who(await leases.ResolveAsync(script.ProjectId, number, time.GetUtcNow())));
    }

    [Fact]
    public async Task Resolution_brings_the_visit_fields_in_the_same_round_trip()
    {
        var (leases, script, _) = await PoolAsync(1);
        await leases.StoreVisitAsync(script.ProjectId, "1", new Dictionary<string, string?> { ["marker"] = "direct_search", ["city"] = "Moscow", ["domain"] = null });
        var number = (await leases.AcquireAsync(script, "1")).Number!;
        var resolution = await leases.ResolveAsync(script.ProjectId, number, time.GetUtcNow());
        Assert.Equal(new Dictionary<string, string> { ["marker"] = "direct_search", ["city"] = "Moscow" }, resolution.Fields);
    }

    [Fact]
    public async Task Lease_history_is_trimmed_by_age_and_depth()
    {
        var (leases, script, _) = await PoolAsync(1, grace: 10, options: new PoolOptions { LeaseHistoryHours = 1, LateCallWindowMinutes = 5 });
        var history = LeaseStore.Prefix(script.ProjectId) + "hist:";
        string? number = null;
        for (var i = 0; i < LeaseScripts.HistoryDepth + 10; i++)
        {
            number = (await leases.AcquireAsync(script, i.ToString(System.Globalization.CultureInfo.InvariantCulture))).Number;
            time.Advance(TimeSpan.FromSeconds(11));
        }

        await leases.AcquireAsync(script, "last");
        Assert.Equal(LeaseScripts.HistoryDepth, await redis.GetDatabase().SortedSetLengthAsync(history + number));
        Assert.True(await redis.GetDatabase().KeyTimeToLiveAsync(history + number) <= TimeSpan.FromHours(1));

        // Two hours on, every ended lease (the one that ends now included) is past the one-hour history: nothing is kept.
        time.Advance(TimeSpan.FromHours(2));
        await leases.AcquireAsync(script, "after");
        Assert.False(await redis.GetDatabase().KeyExistsAsync(history + number));
    }

    [Fact]
    public async Task Peak_demand_counts_every_visit_that_wanted_a_number_at_once_including_shared_and_fallback_ones()
    {
        var (leases, script, _) = await PoolAsync(2, policy: "fallback", grace: 60, fallback: "74950000001");
        Assert.Null(await leases.PeakDemandAsync(script.ProjectId, script.Id));
        foreach (var visit in new[] { "1", "2", "3", "4" })
        {
            await leases.AcquireAsync(script, visit);
        }

        Assert.Equal(4, await leases.PeakDemandAsync(script.ProjectId, script.Id));

        // Visit 4 (fallback) keeps wanting through heartbeats for an hour; the others fall silent and stop counting.
        for (var i = 0; i < 90; i++)
        {
            time.Advance(TimeSpan.FromSeconds(40));
            await leases.HeartbeatAsync(script.ProjectId, "4");
        }

        await leases.AcquireAsync(script, "5");
        Assert.Equal(4, await leases.PeakDemandAsync(script.ProjectId, script.Id));

        // A week later the first hour (4 at once) has left the window; the next hour (visits 4 and 5) has not yet.
        time.Advance(TimeSpan.FromHours(167));
        await leases.AcquireAsync(script, "6");
        Assert.Equal(2, await leases.PeakDemandAsync(script.ProjectId, script.Id));
        time.Advance(TimeSpan.FromHours(1));
        await leases.AcquireAsync(script, "7");
        Assert.Equal(1, await leases.PeakDemandAsync(script.ProjectId, script.Id));
    }
}
