using System.Globalization;
using System.Net;
using System.Text;

namespace Calltracking.Edge.Sip.Media;

/// <summary>What the relay needs from one side's SDP (RFC 4566): where that side wants the audio stream.</summary>
/// <param name="Rtp">Connection address and port of the first <c>m=audio</c> (null when on hold with 0.0.0.0 or unusable).</param>
/// <param name="Rtcp">From <c>a=rtcp</c> (RFC 3605), else the RTP port + 1; the RTP port with <c>a=rtcp-mux</c>.</param>
/// <param name="PayloadNames">Payload type → <c>encoding/clock</c> from <c>a=rtpmap</c>.</param>
internal sealed record SdpAudio(IPEndPoint? Rtp, IPEndPoint? Rtcp, IReadOnlyDictionary<int, string> PayloadNames);

/// <summary>
/// SDP offer/answer rewriting for the media relay (RFC 3264): the first audio stream is pointed at the edge's port
/// and address (session- and media-level <c>c=</c>, the <c>m=</c> port, <c>a=rtcp</c>); ICE attributes of that stream
/// are dropped (the edge is the only candidate). Codecs, directions and every other line pass untouched; other
/// streams (video, T.38) keep the original connection address so they still flow end to end.
/// </summary>
internal static class Sdp
{
    private static readonly string[] IceAttributes = ["a=candidate:", "a=ice-ufrag:", "a=ice-pwd:", "a=ice-options:", "a=end-of-candidates", "a=remote-candidates:"];

    public static SdpAudio? ParseAudio(ReadOnlySpan<byte> body)
    {
        if (body.IsEmpty)
        {
            return null;
        }

        string? sessionAddress = null;
        string? mediaAddress = null;
        int? port = null;
        int? rtcpPort = null;
        string? rtcpAddress = null;
        var mux = false;
        var names = new Dictionary<int, string>();
        var section = Section.Session;
        foreach (var line in Lines(Encoding.ASCII.GetString(body)))
        {
            if (line.StartsWith("m=", StringComparison.Ordinal))
            {
                if (section == Section.Audio)
                {
                    break;
                }

                var fields = line[2..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (fields.Length >= 3 && fields[0] == "audio" && int.TryParse(fields[1].Split('/')[0], NumberStyles.None, CultureInfo.InvariantCulture, out var p) && p <= 65535)
                {
                    section = Section.Audio;
                    port = p;
                }
                else
                {
                    section = Section.Other;
                }

                continue;
            }

            if (line.StartsWith("c=", StringComparison.Ordinal))
            {
                var address = ConnectionAddress(line);
                if (section == Section.Session)
                {
                    sessionAddress = address;
                }
                else if (section == Section.Audio)
                {
                    mediaAddress = address;
                }
            }
            else if (section == Section.Audio && line.StartsWith("a=rtpmap:", StringComparison.Ordinal))
            {
                var space = line.IndexOf(' ', StringComparison.Ordinal);
                if (space > 9 && int.TryParse(line.AsSpan(9, space - 9), NumberStyles.None, CultureInfo.InvariantCulture, out var pt) && pt < 128)
                {
                    names[pt] = line[(space + 1)..].Trim();
                }
            }
            else if (section == Section.Audio && line.StartsWith("a=rtcp:", StringComparison.Ordinal))
            {
                var fields = line[7..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (fields.Length > 0 && int.TryParse(fields[0], NumberStyles.None, CultureInfo.InvariantCulture, out var rp) && rp <= 65535)
                {
                    rtcpPort = rp;
                    rtcpAddress = fields.Length >= 4 ? fields[3] : null;
                }
            }
            else if (section == Section.Audio && line == "a=rtcp-mux")
            {
                mux = true;
            }
        }

        if (port is null)
        {
            return null;
        }

        var host = mediaAddress ?? sessionAddress;
        IPEndPoint? rtp = null;
        IPEndPoint? rtcp = null;
        if (port > 0 && host is not null && IPAddress.TryParse(host, out var ip) && !ip.Equals(IPAddress.Any) && !ip.Equals(IPAddress.IPv6Any))
        {
            rtp = new IPEndPoint(ip, port.Value);
            var rtcpIp = rtcpAddress is not null && IPAddress.TryParse(rtcpAddress, out var rip) ? rip : ip;
            rtcp = new IPEndPoint(rtcpIp, mux ? port.Value : rtcpPort ?? Math.Min(65535, port.Value + 1));
        }

        return new SdpAudio(rtp, rtcp, names);
    }

    /// <summary>The SDP with its first audio stream moved to <paramref name="address"/>:<paramref name="port"/> (RTCP on port + 1).</summary>
    public static byte[] Rewrite(ReadOnlySpan<byte> body, IPAddress address, int port)
    {
        var text = Encoding.ASCII.GetString(body);
        var newline = text.Contains("\r\n", StringComparison.Ordinal) ? "\r\n" : "\n";
        var family = address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? "IP6" : "IP4";
        var edgeConnection = $"c=IN {family} {address}";

        // Split into the session part and one list per m= section.
        var sections = new List<List<string>> { new() };
        foreach (var line in Lines(text))
        {
            if (line.StartsWith("m=", StringComparison.Ordinal))
            {
                sections.Add([]);
            }

            sections[^1].Add(line);
        }

        var sessionConnection = sections[0].FirstOrDefault(l => l.StartsWith("c=", StringComparison.Ordinal));
        var audio = sections.FindIndex(1, s => s[0].StartsWith("m=audio ", StringComparison.Ordinal));
        var output = new StringBuilder(text.Length + 64);
        for (var i = 0; i < sections.Count; i++)
        {
            var lines = sections[i];
            if (i == 0)
            {
                foreach (var line in lines)
                {
                    output.Append(audio > 0 && line.StartsWith("c=", StringComparison.Ordinal) ? edgeConnection : line).Append(newline);
                }

                continue;
            }

            if (i != audio)
            {
                // Streams the edge does not relay keep the address the session level gave them.
                output.Append(lines[0]).Append(newline);
                if (sessionConnection is not null && !lines.Any(l => l.StartsWith("c=", StringComparison.Ordinal)))
                {
                    output.Append(sessionConnection).Append(newline);
                }

                foreach (var line in lines.Skip(1))
                {
                    output.Append(line).Append(newline);
                }

                continue;
            }

            var fields = lines[0][2..].Split(' ');
            if (fields[1] != "0" && !fields[1].StartsWith("0/", StringComparison.Ordinal))
            {
                fields[1] = port.ToString(CultureInfo.InvariantCulture);
            }

            output.Append("m=").AppendJoin(' ', fields).Append(newline);
            foreach (var line in lines.Skip(1))
            {
                if (line.StartsWith("c=", StringComparison.Ordinal))
                {
                    output.Append(edgeConnection).Append(newline);
                }
                else if (line.StartsWith("a=rtcp:", StringComparison.Ordinal))
                {
                    output.Append("a=rtcp:").Append((port + 1).ToString(CultureInfo.InvariantCulture)).Append(newline);
                }
                else if (!IceAttributes.Any(a => line.StartsWith(a, StringComparison.Ordinal)))
                {
                    output.Append(line).Append(newline);
                }
            }
        }

        return Encoding.ASCII.GetBytes(output.ToString());
    }

    private static string? ConnectionAddress(string line)
    {
        // c=<nettype> <addrtype> <connection-address>[/ttl][/count]
        var fields = line[2..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return fields.Length >= 3 ? fields[2].Split('/')[0] : null;
    }

    private static IEnumerable<string> Lines(string text)
    {
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            if (line.Length > 0)
            {
                yield return line;
            }
        }
    }

    private enum Section
    {
        Session,
        Audio,
        Other,
    }
}
