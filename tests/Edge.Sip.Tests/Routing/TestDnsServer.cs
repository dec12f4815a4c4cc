using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Calltracking.Edge.Sip.Tests.Routing;

/// <summary>
/// A small authoritative DNS server on loopback UDP that answers SRV and A queries from a table, so the RFC 3263
/// resolver is tested against real DNS messages on the wire.
/// </summary>
internal sealed class TestDnsServer : IDisposable
{
    private readonly UdpClient socket = new(new IPEndPoint(IPAddress.Loopback, 0));
    private readonly CancellationTokenSource stop = new();
    private readonly Dictionary<string, List<(ushort Priority, ushort Weight, ushort Port, string Target)>> srv = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, IPAddress> a = new(StringComparer.OrdinalIgnoreCase);

    public TestDnsServer() => _ = ServeAsync();

    public IPEndPoint EndPoint => (IPEndPoint)socket.Client.LocalEndPoint!;

    public int Queries { get; private set; }

    public void AddSrv(string name, ushort priority, ushort weight, ushort port, string target) =>
        (srv.TryGetValue(name, out var list) ? list : srv[name] = []).Add((priority, weight, port, target));

    public void AddA(string name, IPAddress address) => a[name] = address;

    private async Task ServeAsync()
    {
        while (!stop.IsCancellationRequested)
        {
            UdpReceiveResult request;
            try
            {
                request = await socket.ReceiveAsync(stop.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (ObjectDisposedException)
            {
                return;
            }

            Queries++;
            var response = Answer(request.Buffer);
            await socket.SendAsync(response, request.RemoteEndPoint);
        }
    }

    private byte[] Answer(byte[] query)
    {
        var (name, type, questionEnd) = ReadQuestion(query);
        var answers = new List<byte[]>();
        var additional = new List<byte[]>();
        if (type == 33 && srv.TryGetValue(name, out var records))
        {
            foreach (var r in records)
            {
                var rdata = new List<byte>();
                rdata.AddRange(U16(r.Priority));
                rdata.AddRange(U16(r.Weight));
                rdata.AddRange(U16(r.Port));
                rdata.AddRange(Labels(r.Target));
                answers.Add(Record([0xC0, 0x0C], 33, [.. rdata]));
                if (a.TryGetValue(r.Target, out var address))
                {
                    additional.Add(Record(Labels(r.Target), 1, address.GetAddressBytes()));
                }
            }
        }
        else if (type == 1 && a.TryGetValue(name, out var address))
        {
            answers.Add(Record([0xC0, 0x0C], 1, address.GetAddressBytes()));
        }

        var header = new byte[12];
        query.AsSpan(0, 2).CopyTo(header);
        var rcode = answers.Count == 0 && !srv.ContainsKey(name) && !a.ContainsKey(name) ? 3 : 0;
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(2), (ushort)(0x8400 | rcode));
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(4), 1);
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(6), (ushort)answers.Count);
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(10), (ushort)additional.Count);
        return [.. header, .. query.AsSpan(12, questionEnd - 12), .. answers.SelectMany(x => x), .. additional.SelectMany(x => x)];
    }

    private static (string Name, int Type, int End) ReadQuestion(byte[] query)
    {
        var labels = new List<string>();
        var i = 12;
        while (query[i] != 0)
        {
            labels.Add(Encoding.ASCII.GetString(query, i + 1, query[i]));
            i += query[i] + 1;
        }

        i++;
        var type = BinaryPrimitives.ReadUInt16BigEndian(query.AsSpan(i));
        return (string.Join('.', labels), type, i + 4);
    }

    private static byte[] Record(byte[] name, ushort type, byte[] rdata) =>
        [.. name, .. U16(type), .. U16(1), 0, 0, 0, 30, .. U16((ushort)rdata.Length), .. rdata];

    private static byte[] U16(ushort value) => [(byte)(value >> 8), (byte)value];

    private static byte[] Labels(string name) =>
        [.. name.TrimEnd('.').Split('.').SelectMany(l => new[] { (byte)l.Length }.Concat(Encoding.ASCII.GetBytes(l))), 0];

    public void Dispose()
    {
        stop.Cancel();
        socket.Dispose();
        stop.Dispose();
    }
}
