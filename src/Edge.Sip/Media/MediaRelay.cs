using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Net;
using Microsoft.Extensions.Options;

namespace Calltracking.Edge.Sip.Media;

/// <summary>The RTP relay: opens a <see cref="MediaSession"/> per recorded call on ports of the configured range.</summary>
public sealed class MediaRelay : IDisposable
{
    internal const int MaxPacket = 2048;
    private readonly RtpPortPool pool;
    private readonly TimeProvider time;
    private readonly ConcurrentDictionary<MediaSession, byte> sessions = new();

    public MediaRelay(IOptions<MediaOptions> options, TimeProvider time, IMeterFactory meters)
    {
        Options = options.Value;
        this.time = time;
        pool = new RtpPortPool(Options.Listen, Options.PortMin, Options.PortMax);
        Metrics = new MediaMetrics(meters, this);
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

        var session = new MediaSession(this, first.Value, second.Value, time);
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
    }
}

/// <summary>The relay's instruments (names as in docs/operations.md). Packet counts are kept in fields and observed, so a packet costs one interlocked add.</summary>
internal sealed class MediaMetrics
{
    private readonly Counter<long> dropped;
    private readonly Counter<long> exhausted;
    private readonly Counter<long> idle;
    private long rtp;
    private long rtcp;

    public MediaMetrics(IMeterFactory meters, MediaRelay relay)
    {
        var meter = meters.Create("Calltracking.Edge.Sip");
        meter.CreateObservableCounter("edge_media_packets_relayed_total", () => new[]
        {
            new Measurement<long>(Interlocked.Read(ref rtp), new KeyValuePair<string, object?>("kind", "rtp")),
            new Measurement<long>(Interlocked.Read(ref rtcp), new KeyValuePair<string, object?>("kind", "rtcp")),
        }, description: "Packets relayed");
        dropped = meter.CreateCounter<long>("edge_media_packets_dropped_total", description: "Packets not relayed, by reason (source: not the latched peer; no_destination; send)");
        exhausted = meter.CreateCounter<long>("edge_media_ports_exhausted_total", description: "Recorded calls that went unrelayed because the port range was full");
        idle = meter.CreateCounter<long>("edge_media_idle_hangups_total", description: "Answered calls ended because no media arrived for Media:IdleTimeoutSeconds");
        meter.CreateObservableGauge("edge_media_sessions", () => relay.ActiveSessions, description: "Calls being relayed");
        meter.CreateObservableGauge("edge_media_port_pairs_free", () => relay.PortPairsFree, description: "RTP/RTCP port pairs free in the range");
    }

    public void Relayed(bool isRtcp)
    {
        if (isRtcp)
        {
            Interlocked.Increment(ref rtcp);
        }
        else
        {
            Interlocked.Increment(ref rtp);
        }
    }

    public void Dropped(string reason) => dropped.Add(1, new KeyValuePair<string, object?>("reason", reason));

    public void Exhausted() => exhausted.Add(1);

    public void IdleTimeout() => idle.Add(1);
}
