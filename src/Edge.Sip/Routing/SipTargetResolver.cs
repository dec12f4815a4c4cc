using System.Net;
using System.Net.Sockets;
using DnsClient;
using DnsClient.Protocol;

namespace Calltracking.Edge.Sip.Routing;

/// <summary>One place to send a request: address, port and transport, in the order to try them.</summary>
public sealed record ResolvedTarget(IPEndPoint EndPoint, string Transport);

/// <summary>
/// Locating SIP servers for <c>sip</c> redirects and gateways (RFC 3263 §4.1–4.2): an IP literal is used as is; a
/// name with an explicit port is resolved by A/AAAA; otherwise SRV records (<c>_sip._udp</c>, <c>_sip._tcp</c>,
/// <c>_sips._tcp</c>) are ordered by priority and weight and their targets resolved, falling back to A/AAAA on
/// port 5060 (5061 for sips). NAPTR is not consulted: the transport comes from the URI or defaults to UDP, which
/// is what carriers and PBXes publish in practice. Answers are cached by the DNS client for their TTL.
/// </summary>
public sealed class SipTargetResolver(ILookupClient dns)
{
    public async Task<IReadOnlyList<ResolvedTarget>> ResolveAsync(string host, int? port, string? transport, bool secure, CancellationToken cancellationToken)
    {
        var chosenTransport = (transport ?? (secure ? "tcp" : "udp")).ToLowerInvariant();
        var defaultPort = secure ? 5061 : 5060;
        if (TryParseLiteral(host, out var ip))
        {
            return [new ResolvedTarget(new IPEndPoint(ip, port ?? defaultPort), chosenTransport)];
        }

        if (port is not null)
        {
            return await AddressesAsync(host, port.Value, chosenTransport, cancellationToken);
        }

        var service = secure ? "_sips._tcp." : chosenTransport == "tcp" ? "_sip._tcp." : "_sip._udp.";
        var srv = await dns.QueryAsync(service + host, QueryType.SRV, cancellationToken: cancellationToken);
        var records = srv.Answers.SrvRecords().ToList();
        if (records.Count == 0)
        {
            return await AddressesAsync(host, defaultPort, chosenTransport, cancellationToken);
        }

        var targets = new List<ResolvedTarget>();
        foreach (var record in Order(records))
        {
            var additional = srv.Additionals.OfType<AddressRecord>().Where(a => a.DomainName.Value == record.Target.Value).Select(a => a.Address).ToList();
            if (additional.Count > 0)
            {
                targets.AddRange(additional.Select(a => new ResolvedTarget(new IPEndPoint(a, record.Port), chosenTransport)));
            }
            else
            {
                targets.AddRange(await AddressesAsync(record.Target.Value.TrimEnd('.'), record.Port, chosenTransport, cancellationToken));
            }
        }

        return targets;
    }

    /// <summary>RFC 2782 ordering: ascending priority; within a priority, a weighted random order.</summary>
    /// <summary>True when <paramref name="host"/> is an IP address (IPv6 in brackets or not), which needs no DNS.</summary>
    public static bool IsLiteral(string host) => TryParseLiteral(host, out _);

    private static bool TryParseLiteral(string host, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out IPAddress? address) =>
        IPAddress.TryParse(host.StartsWith('[') && host.EndsWith(']') ? host.AsSpan(1, host.Length - 2) : host.AsSpan(), out address);

    internal static IEnumerable<SrvRecord> Order(IEnumerable<SrvRecord> records)
    {
        foreach (var group in records.GroupBy(r => r.Priority).OrderBy(g => g.Key))
        {
            var pending = group.ToList();
            while (pending.Count > 0)
            {
                var total = pending.Sum(r => r.Weight + 1);
                var pick = Random.Shared.Next(total);
                var index = 0;
                for (; index < pending.Count - 1; index++)
                {
                    pick -= pending[index].Weight + 1;
                    if (pick < 0)
                    {
                        break;
                    }
                }

                yield return pending[index];
                pending.RemoveAt(index);
            }
        }
    }

    private static async Task<IReadOnlyList<ResolvedTarget>> AddressesAsync(string host, int port, string transport, CancellationToken cancellationToken)
    {
        IPAddress[] addresses;
        try
        {
            // The system resolver honours /etc/hosts, which operators use for gateways without DNS.
            addresses = await Dns.GetHostAddressesAsync(host, cancellationToken);
        }
        catch (SocketException)
        {
            return [];
        }

        return addresses
            .OrderBy(a => a.AddressFamily == AddressFamily.InterNetwork ? 0 : 1)
            .Select(a => new ResolvedTarget(new IPEndPoint(a, port), transport))
            .ToList();
    }
}
