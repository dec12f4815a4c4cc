using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Calltracking.Edge.Host.Projects;
using Calltracking.Edge.Recording.Calls;
using Calltracking.Edge.Recording.Webhooks;
using Calltracking.Edge.Testing;
using Dapper;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Calltracking.Edge.Recording.Tests.Webhooks;

/// <summary>Webhooks delivered to a real HTTP receiver on loopback, signed, retried, and kept away from private networks.</summary>
public sealed class WebhookTests(EdgeStoresFixture stores) : IClassFixture<EdgeStoresFixture>
{
    private sealed class Receiver : IAsyncDisposable
    {
        private readonly WebApplication app;
        private int failuresLeft;

        public Receiver(int failFirst, TimeSpan delay = default)
        {
            failuresLeft = failFirst;
            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            app = builder.Build();
            app.MapPost("/hook/{name}", async (HttpContext http, string name) =>
            {
                using var reader = new StreamReader(http.Request.Body);
                var body = await reader.ReadToEndAsync();
                Arrived.TrySetResult();
                await Task.Delay(delay);
                if (Interlocked.Decrement(ref failuresLeft) >= 0)
                {
                    return Results.StatusCode(500);
                }

                Received.Enqueue((name, http.Request.Headers["X-Calltracking-Signature"].ToString(), body));
                return Results.Ok();
            });
            app.StartAsync().GetAwaiter().GetResult();
            Url = app.Urls.First();
        }

        public string Url { get; }

        /// <summary>Set when the first request arrives (before any delay).</summary>
        public TaskCompletionSource Arrived { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public ConcurrentQueue<(string Name, string Signature, string Body)> Received { get; } = new();

        public async ValueTask DisposeAsync() => await app.DisposeAsync();
    }

    private static async Task<(long Project, long Script)> ScriptAsync(EdgeAppFactory app, string hookBase)
    {
        var (project, _) = await app.Services.GetRequiredService<ProjectStore>().CreateAsync("hooks", CancellationToken.None);
        var catalogue = app.Services.GetRequiredService<NumberPool.Catalogue.CatalogueStore>();
        using var doc = JsonDocument.Parse(JsonSerializer.Serialize(new { name = "hooked", integration = new { webhook_start = new { url = hookBase + "/hook/start" }, webhook = new { url = hookBase + "/hook/end" } } }));
        var script = await catalogue.CreateScriptAsync(project, NumberPool.Catalogue.ScriptInput.Parse(doc.RootElement, false), CancellationToken.None);
        return (project, script.Id);
    }

    private static List<SpoolEvent> Call(long project, long script, Guid id) =>
    [
        new() { Kind = "started", CallId = id, At = DateTimeOffset.UtcNow.AddSeconds(-30), ProjectId = project, ScriptId = script, Callee = "74951234567", Caller = "79161234567" },
        new() { Kind = "answered", CallId = id, At = DateTimeOffset.UtcNow.AddSeconds(-20) },
        new() { Kind = "ended", CallId = id, At = DateTimeOffset.UtcNow, Status = "ANSWER" },
    ];

    private static async Task<string?> StateAsync(EdgeStoresFixture stores, Guid id, TimeSpan wait, string until)
    {
        var deadline = DateTime.UtcNow + wait;
        while (true)
        {
            await using var connection = await stores.DataSource.OpenConnectionAsync();
            var state = await connection.ExecuteScalarAsync<string?>("SELECT webhook_state FROM calls WHERE id = @id", new { id });
            if (state == until || DateTime.UtcNow > deadline)
            {
                return state;
            }

            await Task.Delay(100);
        }
    }

    [Fact]
    public async Task Start_and_end_webhooks_arrive_signed_with_the_projects_secret()
    {
        await using var receiver = new Receiver(failFirst: 0);
        using var app = new EdgeAppFactory(stores, new Dictionary<string, string?> { ["Webhooks:AllowPrivateTargets"] = "true" });
        var (project, script) = await ScriptAsync(app, receiver.Url);
        var id = Guid.NewGuid();

        // The drainer wakes the dispatcher only when a segment queued deliveries: here the start and the end, and none on a replay.
        var store = app.Services.GetRequiredService<CallRecordStore>();
        Assert.Equal(2, await store.ApplyAsync(Call(project, script, id), CancellationToken.None));
        Assert.Equal(0, await store.ApplyAsync(Call(project, script, id), CancellationToken.None));
        app.Services.GetRequiredService<WebhookDispatcher>().Wake();

        Assert.Equal("delivered", await StateAsync(stores, id, TimeSpan.FromSeconds(10), "delivered"));
        await Calls.CallTotalsTests.AssertTotalsAgreeAsync(stores.DataSource);
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (receiver.Received.Count < 2 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }

        Assert.Equal(["end", "start"], receiver.Received.Select(r => r.Name).Order());
        await using var connection = await stores.DataSource.OpenConnectionAsync();
        var secret = await connection.ExecuteScalarAsync<string>("SELECT settings->>'webhook_secret' FROM projects WHERE id = @project", new { project });
        foreach (var (_, signature, body) in receiver.Received)
        {
            Assert.Equal("sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret!), Encoding.UTF8.GetBytes(body))), signature);
            Assert.Equal(id.ToString(), JsonDocument.Parse(body).RootElement.GetProperty("id").GetString());
        }
    }

    [Fact]
    public async Task A_call_closed_after_a_crash_sends_its_end_webhook_with_the_closed_status()
    {
        await using var receiver = new Receiver(failFirst: 0);
        using var app = new EdgeAppFactory(stores, new Dictionary<string, string?> { ["Webhooks:AllowPrivateTargets"] = "true" });
        var (project, script) = await ScriptAsync(app, receiver.Url);
        var id = Guid.NewGuid();
        var instance = Guid.NewGuid();
        var store = app.Services.GetRequiredService<CallRecordStore>();
        Assert.Equal(1, await store.ApplyAsync(Call(project, script, id).Where(e => e.Kind != "ended").ToList(), CancellationToken.None, instance));

        Assert.Equal((1, 1), await store.CloseInterruptedAsync(instance, DateTimeOffset.UtcNow, CancellationToken.None));
        app.Services.GetRequiredService<WebhookDispatcher>().Wake();

        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!receiver.Received.Any(r => r.Name == "end") && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }

        var end = JsonDocument.Parse(Assert.Single(receiver.Received, r => r.Name == "end").Body).RootElement;
        Assert.Equal((id.ToString(), "ANSWER"), (end.GetProperty("id").GetString(), end.GetProperty("status").GetString()));
    }

    [Fact]
    public async Task A_failing_receiver_gets_the_webhook_again_after_a_backoff()
    {
        await using var receiver = new Receiver(failFirst: 2);
        using var app = new EdgeAppFactory(stores, new Dictionary<string, string?> { ["Webhooks:AllowPrivateTargets"] = "true", ["Webhooks:RetryBaseSeconds"] = "1" });
        var (project, script) = await ScriptAsync(app, receiver.Url);
        var id = Guid.NewGuid();

        await app.Services.GetRequiredService<CallRecordStore>().ApplyAsync(Call(project, script, id), CancellationToken.None);
        app.Services.GetRequiredService<WebhookDispatcher>().Wake();

        Assert.Equal("delivered", await StateAsync(stores, id, TimeSpan.FromSeconds(20), "delivered"));
        await using var connection = await stores.DataSource.OpenConnectionAsync();
        Assert.True(await connection.ExecuteScalarAsync<int>("SELECT max(attempts) FROM webhook_outbox WHERE call_id = @id", new { id }) >= 2);
    }

    /// <summary>
    /// While a receiver is slow, nothing the dispatcher holds blocks other writers: the project's row (its secret), the
    /// outbox row and the call's row each take an update at once (lock_timeout 1 s); the delivery then completes.
    /// </summary>
    [Fact]
    public async Task A_slow_receiver_holds_no_rows_while_it_answers()
    {
        await using var receiver = new Receiver(failFirst: 0, delay: TimeSpan.FromSeconds(4));
        using var app = new EdgeAppFactory(stores, new Dictionary<string, string?> { ["Webhooks:AllowPrivateTargets"] = "true" });
        var (project, script) = await ScriptAsync(app, receiver.Url);
        var id = Guid.NewGuid();
        await app.Services.GetRequiredService<CallRecordStore>().ApplyAsync(Call(project, script, id), CancellationToken.None);
        app.Services.GetRequiredService<WebhookDispatcher>().Wake();
        await receiver.Arrived.Task.WaitAsync(TimeSpan.FromSeconds(20));

        await using (var connection = await stores.DataSource.OpenConnectionAsync())
        {
            await using var transaction = await connection.BeginTransactionAsync();
            await connection.ExecuteAsync("SET LOCAL lock_timeout = '1s'", transaction: transaction);
            await connection.ExecuteAsync("UPDATE projects SET settings = settings WHERE id = @project", new { project }, transaction);
            await connection.ExecuteAsync("UPDATE webhook_outbox SET url = url WHERE call_id = @id", new { id }, transaction);
            await connection.ExecuteAsync("UPDATE calls SET recorded = recorded WHERE id = @id", new { id }, transaction);
            await transaction.CommitAsync();
        }

        Assert.Equal("delivered", await StateAsync(stores, id, TimeSpan.FromSeconds(30), "delivered"));
    }

    [Fact]
    public async Task Private_targets_are_refused_unless_allowed()
    {
        await using var receiver = new Receiver(failFirst: 0);
        using var app = new EdgeAppFactory(stores);
        var (project, script) = await ScriptAsync(app, receiver.Url);
        var id = Guid.NewGuid();

        await app.Services.GetRequiredService<CallRecordStore>().ApplyAsync(Call(project, script, id), CancellationToken.None);
        app.Services.GetRequiredService<WebhookDispatcher>().Wake();

        Assert.Equal("pending", await StateAsync(stores, id, TimeSpan.FromSeconds(5), "pending"));
        await using var connection = await stores.DataSource.OpenConnectionAsync();
        var deadline = DateTime.UtcNow.AddSeconds(5);
        string? error = null;
        while (error is null && DateTime.UtcNow < deadline)
        {
            error = await connection.ExecuteScalarAsync<string?>("SELECT last_error FROM webhook_outbox WHERE call_id = @id AND last_error IS NOT NULL LIMIT 1", new { id });
            await Task.Delay(100);
        }

        Assert.Contains("private or loopback", error, StringComparison.Ordinal);
        Assert.Empty(receiver.Received);
    }
}
