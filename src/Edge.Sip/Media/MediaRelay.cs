using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Calltracking.Shared.Metrics;
using System.Net;
using Calltracking.Shared.Media;
using Microsoft.Extensions.Options;

namespace Calltracking.Edge.Sip.Media;

/// <summary>The RTP relay: opens a <see cref="MediaSession"/> per recorded call on ports of the configured range.</summary>
public sealed class MediaRelay : IDisposable
{
    internal const int MaxPacket = 2048;
    private readonly RtpPortPool pool;
    private readonly TimeProvider time;
    private readonly ConcurrentDictionary<MediaSession, byte> sessions = new();
    private readonly Lazy<RelayLoop[]> loops;
    private int nextLoop;

    public MediaRelay(IOptions<MediaOptions> options, TimeProvider time, IMeterFactory meters)
    {
        Options = options.Value;
        this.time = time;
        pool = new RtpPortPool(Options.Listen, Options.PortMin, Options.PortMax);
        Metrics = new MediaMetrics(meters, this);
        // One epoll loop per core, started with the first relayed call.
        loops = new Lazy<RelayLoop[]>(() => [.. Enumerable.Range(0, Math.Max(1, Environment.ProcessorCount)).Select(i => new RelayLoop(i))]);
    }

    public MediaOptions Options { get; }

    public IPAddress AdvertisedAddress => Options.Advertised;

    public TimeSpan IdleTimeout => TimeSpan.FromSeconds(Options.IdleTimeoutSeconds);

    internal MediaMetrics Metrics { get; }

    public int ActiveSessions => sessions.Count;

    internal int PortPairsFree => pool.Available;

    internal int PortPairs => pool.Capacity;

    /// <summary>A relay for one call (two port pairs); null when the range is exhausted (the call goes unrelayed).</summary>
    internal MediaSession? Open()
    {
        if (!Options.Enabled)
        {
            return null;
        }

        var first = pool.Rent();
        if (first is null)
        {
            Metrics.Exhausted();
            return null;
        }

        var second = pool.Rent();
        if (second is null)
        {
            first.Value.Rtp.Dispose();
            first.Value.Rtcp.Dispose();
            pool.Return(first.Value.Port);
            Metrics.Exhausted();
            return null;
        }

        var loop = loops.Value[(int)((uint)Interlocked.Increment(ref nextLoop) % (uint)loops.Value.Length)];
        var session = new MediaSession(this, loop, first.Value, second.Value, time);
        sessions[session] = 0;
        return session;
    }

    internal void Release(MediaSession session)
    {
        if (sessions.TryRemove(session, out _))
        {
            pool.Return(session.CallerPort);
            pool.Return(session.CalleePort);
        }
    }

    public void Dispose()
    {
        foreach (var session in sessions.Keys)
        {
            session.Close();
        }

        if (loops.IsValueCreated)
        {
            Task.WhenAll(sessions.Keys.Select(s => s.Closed)).Wait(TimeSpan.FromSeconds(2));
            foreach (var loop in loops.Value)
            {
                loop.Dispose();
            }
        }
    }
}

/// <summary>
/// The relay's instruments (names as in docs/operations.md). Packet and loss counts are kept in fields and observed,
/// so a packet costs one interlocked add and no measurement callback.
/// </summary>
internal sealed class MediaMetrics
{
    private readonly Counter<long> dropped;
    private readonly Counter<long> exhausted;
    private readonly Counter<long> idle;
    private readonly long[] relayed = new long[2];
    private readonly long[] lost = new long[2];

    public MediaMetrics(IMeterFactory meters, MediaRelay relay)
    {
        var meter = meters.Create("Calltracking.Edge.Sip");
        meter.CreateObservableCounter(EdgeMetricNames.RtpPacketsTotal, () => PerDirection(relayed), description: "RTP packets relayed");
        meter.CreateObservableCounter(EdgeMetricNames.RtpPacketsLostTotal, () => PerDirection(lost), description: "RTP packets missing by sequence number");
        meter.CreateObservableGauge(EdgeMetricNames.RtpPortsInUse, () => 2 * (relay.PortPairs - relay.PortPairsFree), description: "Relay ports allocated");
        meter.CreateObservableGauge(EdgeMetricNames.RtpPortsCapacity, () => 2 * relay.PortPairs, description: "Relay ports configured");
        dropped = meter.CreateCounter<long>(EdgeMetricNames.RtpPacketsDroppedTotal, description: "Packets not relayed, by reason");
        exhausted = meter.CreateCounter<long>(EdgeMetricNames.RtpPortExhaustionTotal, description: "Recorded calls that went unrelayed because the port range was full");
        idle = meter.CreateCounter<long>(EdgeMetricNames.RtpIdleHangupsTotal, description: "Answered calls ended because no media arrived for Media:IdleTimeoutSeconds");
    }

    private static Measurement<long>[] PerDirection(long[] counts) =>
    [
        new(Interlocked.Read(ref counts[0]), new KeyValuePair<string, object?>("direction", "from_caller")),
        new(Interlocked.Read(ref counts[1]), new KeyValuePair<string, object?>("direction", "from_target")),
    ];

    public void Relayed(MediaDirection direction) => Interlocked.Increment(ref relayed[(int)direction]);

    public void Lost(MediaDirection direction, int count) => Interlocked.Add(ref lost[(int)direction], count);

    internal long RelayedTotal(MediaDirection direction) => Interlocked.Read(ref relayed[(int)direction]);

    internal long LostTotal(MediaDirection direction) => Interlocked.Read(ref lost[(int)direction]);

    public void Dropped(string reason) => dropped.Add(1, new KeyValuePair<string, object?>("reason", reason));

    public void Exhausted() => exhausted.Add(1);

    public void IdleTimeout() => idle.Add(1);
}
