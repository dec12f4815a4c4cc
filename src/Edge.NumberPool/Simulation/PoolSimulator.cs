using System.Globalization;
using Calltracking.Edge.NumberPool.Catalogue;
using Calltracking.Edge.NumberPool.Leases;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Calltracking.Edge.NumberPool.Simulation;

/// <summary>What the simulator replays: visitors arriving as a Poisson process, their sessions and their calls.</summary>
public sealed record SimulationSettings
{
    public double ArrivalsPerMinute { get; init; } = 30;

    /// <summary>How long a visitor keeps the page open (heartbeats run meanwhile).</summary>
    public Distribution Session { get; init; } = Distribution.Parse("lognormal:3:0.8");

    /// <summary>Minutes from the visitor's arrival to its call.</summary>
    public Distribution CallDelay { get; init; } = Distribution.Parse("exp:1.5");

    /// <summary>Share of visitors who call.</summary>
    public double CallShare { get; init; } = 0.2;

    public int Minutes { get; init; } = 120;

    public int GraceSeconds { get; init; } = 150;

    public int HeartbeatSeconds { get; init; } = 50;

    public int LateWindowMinutes { get; init; } = 30;

    public int Seed { get; init; } = 1;

    public IReadOnlyList<string> Validate()
    {
        var failures = new List<string>();
        if (ArrivalsPerMinute is <= 0 or > 10_000)
        {
            failures.Add("--arrivals-per-minute: must be above 0 and at most 10000");
        }

        if (CallShare is < 0 or > 1)
        {
            failures.Add("--call-share: must be between 0 and 1");
        }

        if (Minutes is < 1 or > 10_080)
        {
            failures.Add("--minutes: must be between 1 and 10080");
        }

        if (GraceSeconds is < 10 or > 86_400)
        {
            failures.Add("--grace-seconds: must be between 10 and 86400");
        }

        if (HeartbeatSeconds < 1 || HeartbeatSeconds >= GraceSeconds)
        {
            failures.Add("--heartbeat-seconds: must be at least 1 and below the grace period");
        }

        if (LateWindowMinutes is < 0 or > 1440)
        {
            failures.Add("--late-window-minutes: must be between 0 and 1440");
        }

        return failures;
    }
}

/// <summary>Accuracy of one policy at one pool size against the trace's ground truth.</summary>
/// <param name="Calls">Calls made.</param>
/// <param name="Correct">Calls traced to the visit that really made them.</param>
/// <param name="WithinWindow">Calls made while the visitor's lease could still be live or within the late-call window after it.</param>
/// <param name="CorrectWithinWindow">Of those, traced correctly.</param>
/// <param name="SharedHandOuts">Number requests answered with a shared number.</param>
public sealed record PolicyResult(int Calls, int Correct, int WithinWindow, int CorrectWithinWindow, int SharedHandOuts)
{
    public double Accuracy => Calls == 0 ? 1 : (double)Correct / Calls;

    public double AccuracyWithinWindow => WithinWindow == 0 ? 1 : (double)CorrectWithinWindow / WithinWindow;
}

public sealed record PoolSizeResult(int PoolSize, PolicyResult Ours, PolicyResult Naive);

public sealed record SimulationReport(SimulationSettings Settings, int Visitors, int Calls, int PeakConcurrentVisitors, IReadOnlyList<PoolSizeResult> Results);

/// <summary>
/// Replays a synthetic visitor trace against the real Redis-backed pool (the production Lua, on a simulated clock)
/// and against a naive policy (a random free number, no rest, no lease history, no late calls), and scores both
/// against ground truth: which visitor really made each call. Each run uses its own throwaway project keys.
/// </summary>
public sealed class PoolSimulator(IConnectionMultiplexer redis)
{
    private enum EventKind
    {
        Arrive,
        Heartbeat,
        Call,
    }

    private readonly record struct Event(long At, EventKind Kind, int Visitor);

    private sealed record Visitor(long Arrival, long LastActivity, long? CallAt);

    public async Task<SimulationReport> RunAsync(SimulationSettings settings, IReadOnlyList<int>? poolSizes, Action<PoolSizeResult>? progress = null, CancellationToken cancellationToken = default)
    {
        var (visitors, events) = Trace(settings);
        var graceMs = settings.GraceSeconds * 1000L;
        var peak = PeakConcurrent(visitors, graceMs);
        var sizes = poolSizes is { Count: > 0 }
            ? poolSizes
            : [.. new[] { 0.25, 0.5, 0.75, 0.9, 1.0, 1.1, 1.25, 1.5 }.Select(f => Math.Max(1, (int)Math.Round(peak * f))).Distinct()];
        var results = new List<PoolSizeResult>();
        foreach (var size in sizes)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var ours = await RunOursAsync(settings, visitors, events, size, cancellationToken);
            var naive = RunNaive(settings, visitors, events, size);
            var result = new PoolSizeResult(size, ours, naive);
            progress?.Invoke(result);
            results.Add(result);
        }

        return new SimulationReport(settings, visitors.Count, visitors.Count(v => v.CallAt is not null), peak, results);
    }

    private static (List<Visitor> Visitors, List<Event> Events) Trace(SimulationSettings settings)
    {
        var random = new Random(settings.Seed);
        var visitors = new List<Visitor>();
        var events = new List<Event>();
        var heartbeat = settings.HeartbeatSeconds * 1000L;
        var end = settings.Minutes * 60_000L;
        var t = 0.0;
        while (true)
        {
            t += -60_000.0 / settings.ArrivalsPerMinute * Math.Log(1 - random.NextDouble());
            if (t >= end)
            {
                break;
            }

            var arrival = (long)t;
            var session = (long)(settings.Session.Sample(random) * 60_000);
            var calls = random.NextDouble() < settings.CallShare;
            long? callAt = calls ? arrival + (long)(settings.CallDelay.Sample(random) * 60_000) : null;
            var index = visitors.Count;
            events.Add(new Event(arrival, EventKind.Arrive, index));
            var last = arrival;
            for (var beat = arrival + heartbeat; beat <= arrival + session; beat += heartbeat)
            {
                events.Add(new Event(beat, EventKind.Heartbeat, index));
                last = beat;
            }

            if (callAt is { } at)
            {
                events.Add(new Event(at, EventKind.Call, index));
            }

            visitors.Add(new Visitor(arrival, last, callAt));
        }

        // Stable by time, then arrivals before heartbeats before calls at the same millisecond.
        events.Sort((a, b) => a.At != b.At ? a.At.CompareTo(b.At) : a.Kind.CompareTo(b.Kind));
        return (visitors, events);
    }

    /// <summary>The most visitors whose number was needed at once: from arrival to last heartbeat plus grace.</summary>
    private static int PeakConcurrent(List<Visitor> visitors, long graceMs)
    {
        var edges = new List<(long At, int Delta)>(visitors.Count * 2);
        foreach (var v in visitors)
        {
            edges.Add((v.Arrival, 1));
            edges.Add((v.LastActivity + graceMs, -1));
        }

        edges.Sort((a, b) => a.At != b.At ? a.At.CompareTo(b.At) : a.Delta.CompareTo(b.Delta));
        int current = 0, peak = 0;
        foreach (var (_, delta) in edges)
        {
            current += delta;
            peak = Math.Max(peak, current);
        }

        return peak;
    }

    private static bool WithinWindow(SimulationSettings settings, Visitor visitor) =>
        visitor.CallAt is { } at && at <= visitor.LastActivity + (settings.GraceSeconds * 1000L) + (settings.LateWindowMinutes * 60_000L);

    private async Task<PolicyResult> RunOursAsync(SimulationSettings settings, List<Visitor> visitors, List<Event> events, int size, CancellationToken cancellationToken)
    {
        var project = 900_000_000_000L + Random.Shared.NextInt64(1_000_000_000L);
        var clock = new SimulatedClock();
        var options = Options.Create(new PoolOptions { LateCallWindowMinutes = settings.LateWindowMinutes, LeaseHistoryHours = Math.Max(1, (settings.LateWindowMinutes + 59) / 60) });
        var leases = new LeaseStore(redis, null!, options, clock);
        var script = new ScriptRecord
        {
            Id = 1,
            ProjectId = project,
            LeaseGraceSeconds = settings.GraceSeconds,
            LeaseMaxAgeSeconds = 86_400,
            ExhaustedPolicy = "share",
        };
        var numbers = Enumerable.Range(0, size).Select(i => "7800" + i.ToString("D7", CultureInfo.InvariantCulture)).ToArray();
        try
        {
            await leases.SyncPoolAsync(project, script.Id, numbers);
            var shown = new string?[visitors.Count];
            var tally = new Tally(settings);
            foreach (var e in events)
            {
                cancellationToken.ThrowIfCancellationRequested();
                clock.Set(e.At);
                var visitId = e.Visitor.ToString(CultureInfo.InvariantCulture);
                switch (e.Kind)
                {
                    case EventKind.Arrive:
                        var lease = await leases.AcquireAsync(script, visitId);
                        shown[e.Visitor] = lease.Kind is LeaseKind.Exclusive or LeaseKind.Shared or LeaseKind.Renewed ? lease.Number : null;
                        tally.Shared += lease.Kind == LeaseKind.Shared ? 1 : 0;
                        break;
                    case EventKind.Heartbeat:
                        await leases.HeartbeatAsync(project, visitId);
                        break;
                    case EventKind.Call:
                        var hit = shown[e.Visitor] is { } number && (await leases.ResolveAsync(project, number, clock.GetUtcNow())).VisitId == visitId;
                        tally.Call(visitors[e.Visitor], hit);
                        break;
                }
            }

            return tally.Result;
        }
        finally
        {
            await DropProjectAsync(project);
        }
    }

    /// <summary>One policy's score over a run: calls, calls traced right, the same within the late-call window, shared hand-outs.</summary>
    private sealed class Tally(SimulationSettings settings)
    {
        private int calls;
        private int correct;
        private int within;
        private int correctWithin;

        public int Shared { get; set; }

        public PolicyResult Result => new(calls, correct, within, correctWithin, Shared);

        public void Call(Visitor visitor, bool hit)
        {
            calls++;
            correct += hit ? 1 : 0;
            if (WithinWindow(settings, visitor))
            {
                within++;
                correctWithin += hit ? 1 : 0;
            }
        }
    }

    /// <summary>The naive policy, in memory: a random free number; when none, a random number in use goes to the newcomer; a call goes to the number's current holder only.</summary>
    private static PolicyResult RunNaive(SimulationSettings settings, List<Visitor> visitors, List<Event> events, int size)
    {
        var random = new Random(settings.Seed + 1);
        var graceMs = settings.GraceSeconds * 1000L;
        var free = Enumerable.Range(0, size).ToList();
        var holder = new int[size];
        var expiry = new long[size];
        var inUse = new List<int>();
        var shown = new int[visitors.Count];
        var tally = new Tally(settings);
        foreach (var e in events)
        {
            for (var i = inUse.Count - 1; i >= 0; i--)
            {
                if (expiry[inUse[i]] < e.At)
                {
                    free.Add(inUse[i]);
                    inUse.RemoveAt(i);
                }
            }

            switch (e.Kind)
            {
                case EventKind.Arrive:
                    int number;
                    if (free.Count > 0)
                    {
                        var pick = random.Next(free.Count);
                        number = free[pick];
                        free[pick] = free[^1];
                        free.RemoveAt(free.Count - 1);
                        inUse.Add(number);
                    }
                    else
                    {
                        number = inUse[random.Next(inUse.Count)];
                        tally.Shared++;
                    }

                    holder[number] = e.Visitor;
                    expiry[number] = e.At + graceMs;
                    shown[e.Visitor] = number;
                    break;
                case EventKind.Heartbeat:
                    var held = shown[e.Visitor];
                    if (holder[held] == e.Visitor && inUse.Contains(held))
                    {
                        expiry[held] = e.At + graceMs;
                    }

                    break;
                case EventKind.Call:
                    var dialed = shown[e.Visitor];
                    var hit = inUse.Contains(dialed) && holder[dialed] == e.Visitor;
                    tally.Call(visitors[e.Visitor], hit);
                    break;
            }
        }

        return tally.Result;
    }

    private async Task DropProjectAsync(long project)
    {
        var prefix = LeaseStore.Prefix(project);
        foreach (var endpoint in redis.GetEndPoints())
        {
            var server = redis.GetServer(endpoint);
            if (server.IsSlave)
            {
                continue;
            }

            // SCAN in pages (never KEYS): the simulator may run against a Redis that also serves the edge. The client
            // has only a blocking SCAN, with its short timeout, and right after a run its reader may still be working
            // through the run's last answers: a timed-out scan is started again, a few times.
            List<RedisKey> keys;
            for (var attempt = 1; ; attempt++)
            {
                try
                {
                    keys = server.Keys(pattern: prefix + "*", pageSize: 1000).ToList();
                    break;
                }
                catch (RedisTimeoutException) when (attempt < 5)
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(200 * attempt));
                }
            }

            foreach (var chunk in keys.Chunk(500))
            {
                await redis.GetDatabase().KeyDeleteAsync(chunk);
            }
        }
    }

    /// <summary>The simulator's clock: milliseconds since the trace's start, on an arbitrary fixed date.</summary>
    private sealed class SimulatedClock : TimeProvider
    {
        private static readonly DateTimeOffset Origin = new(2026, 1, 5, 0, 0, 0, TimeSpan.Zero);
        private long now;

        public void Set(long milliseconds) => now = milliseconds;

        public override DateTimeOffset GetUtcNow() => Origin.AddMilliseconds(now);
    }
}
