using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Calltracking.Edge.Recording.Recordings;
using Calltracking.Edge.Sip.Media;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Calltracking.Edge.Benchmarks.Media;

/// <summary>
/// The edge's media relay behind the subset of rtpengine's ng control protocol (bencode over UDP: <c>offer</c>,
/// <c>answer</c>, <c>delete</c>) that the rtpload generator speaks, so one load tool drives rtpengine and the edge
/// the same way. An offer opens a relay session (as an INVITE with SDP does in the B2BUA) and answers the SDP that
/// points the callee at the edge; the answer sets the callee's side and, with <c>record call: yes</c>, attaches a
/// capture exactly as an answered recorded call does.
///
///   relay-ng &lt;control port&gt; &lt;relay ports min-max&gt; [capture directory]
/// </summary>
internal static class NgRelayShim
{
    public static async Task RunAsync(string[] args)
    {
        var control = int.Parse(args[0], CultureInfo.InvariantCulture);
        var range = args[1].Split('-');
        var captures = args.Length > 2 ? args[2] : null;
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var meters = services.GetRequiredService<IMeterFactory>();
        using var relay = new MediaRelay(
            Options.Create(new MediaOptions { PortMin = int.Parse(range[0], CultureInfo.InvariantCulture), PortMax = int.Parse(range[1], CultureInfo.InvariantCulture), IdleTimeoutSeconds = 7200 }),
            TimeProvider.System, meters);
        FileCallRecorder? recorder = captures is null ? null : new FileCallRecorder(
            Options.Create(new RecordingOptions { CaptureDirectory = captures, QueueCapacity = 1_000_000 }), TimeProvider.System,
            NullLogger<FileCallRecorder>.Instance, new RecordingMetrics(meters));
        var sessions = new ConcurrentDictionary<string, (MediaSession Session, bool Record)>(StringComparer.Ordinal);
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, control));
        Console.Error.WriteLine($"relay-ng: control 127.0.0.1:{control}, relay ports {args[1]}, captures {captures ?? "off"}");
        var buffer = new byte[65536];
        var from = new SocketAddress(AddressFamily.InterNetwork);
        while (true)
        {
            var length = await socket.ReceiveFromAsync(buffer, SocketFlags.None, from);
            var text = Encoding.ASCII.GetString(buffer, 0, length);
            var space = text.IndexOf(' ', StringComparison.Ordinal);
            if (space < 0)
            {
                continue;
            }

            var cookie = text[..(space + 1)];
            var message = Bencode.Dictionary(text[(space + 1)..]);
            var reply = Handle(message, relay, recorder, sessions);
            await socket.SendToAsync(Encoding.ASCII.GetBytes(cookie + reply), SocketFlags.None, from);
        }
    }

    private static string Handle(Dictionary<string, string> message, MediaRelay relay, FileCallRecorder? recorder, ConcurrentDictionary<string, (MediaSession Session, bool Record)> sessions)
    {
        var callId = message.GetValueOrDefault("call-id", string.Empty);
        switch (message.GetValueOrDefault("command"))
        {
            case "offer":
            {
                var sdp = Encoding.ASCII.GetBytes(message.GetValueOrDefault("sdp", string.Empty));
                if (Sdp.ParseAudio(sdp) is not { } offer || relay.Open() is not { } session)
                {
                    return Bencode.Error("no audio in the offer, or no relay ports left");
                }

                session.SetCallerRemote(offer);
                sessions[callId] = (session, message.GetValueOrDefault("record call") == "yes");
                return Bencode.Ok(Sdp.Rewrite(sdp, relay.AdvertisedAddress, session.CalleePort));
            }

            case "answer":
            {
                var sdp = Encoding.ASCII.GetBytes(message.GetValueOrDefault("sdp", string.Empty));
                if (!sessions.TryGetValue(callId, out var entry) || Sdp.ParseAudio(sdp) is not { } answer)
                {
                    return Bencode.Error("unknown call or no audio in the answer");
                }

                entry.Session.SetCalleeRemote(answer);
                var capture = entry.Record && recorder is not null
                    ? recorder.Open(new Shared.Media.CaptureInfo(Guid.NewGuid(), 1, DateTimeOffset.UtcNow, false, new Dictionary<int, string>(entry.Session.PayloadNames)))
                    : null;
                entry.Session.Answered(capture, relay.IdleTimeout, () => { });
                return Bencode.Ok(Sdp.Rewrite(sdp, relay.AdvertisedAddress, entry.Session.CallerPort));
            }

            case "delete":
                if (sessions.TryRemove(callId, out var ended))
                {
                    ended.Session.Close();
                }

                return "d6:result2:oke";
            default:
                return "d6:result4:ponge";
        }
    }

    /// <summary>Just enough bencode: a flat dictionary of strings (and integers) in, strings out.</summary>
    private static class Bencode
    {
        public static Dictionary<string, string> Dictionary(string text)
        {
            var result = new Dictionary<string, string>(StringComparer.Ordinal);
            var i = 1; // after 'd'
            while (i < text.Length && text[i] != 'e')
            {
                var key = Value(text, ref i);
                var value = text[i] is 'd' or 'l' ? Skip(text, ref i) : Value(text, ref i);
                result[key] = value;
            }

            return result;
        }

        private static string Value(string text, ref int i)
        {
            if (text[i] == 'i')
            {
                var end = text.IndexOf('e', i);
                var number = text[(i + 1)..end];
                i = end + 1;
                return number;
            }

            var colon = text.IndexOf(':', i);
            var length = int.Parse(text.AsSpan(i, colon - i), CultureInfo.InvariantCulture);
            var value = text.Substring(colon + 1, length);
            i = colon + 1 + length;
            return value;
        }

        private static string Skip(string text, ref int i)
        {
            var start = i;
            i++;
            while (text[i] != 'e')
            {
                if (text[i] is 'd' or 'l')
                {
                    Skip(text, ref i);
                }
                else
                {
                    Value(text, ref i);
                }
            }

            i++;
            return text[start..i];
        }

        public static string Ok(byte[] sdp) => $"d6:result2:ok3:sdp{sdp.Length}:{Encoding.ASCII.GetString(sdp)}e";

        public static string Error(string reason) => $"d6:result5:error12:error-reason{reason.Length}:{reason}e";
    }
}
