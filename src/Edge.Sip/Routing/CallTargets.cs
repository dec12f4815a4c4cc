using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using Calltracking.Edge.Sip.Messages;
using Calltracking.Edge.Sip.Transport;
using Calltracking.Shared.Registrations;
using Calltracking.Shared.Routing;
using Microsoft.Extensions.Options;

namespace Calltracking.Edge.Sip.Routing;

/// <summary>
/// Where a routed call goes, in the order to try: the outbound gateways for <c>phone</c>, the RFC 3263 targets of the
/// script's URI for <c>sip</c>, the registered contacts for <c>sip_trunk</c>. Mappings from the project settings are
/// applied here: the number map replaces the forwarded number, the SIP-account map gives the extension to dial.
/// </summary>
public sealed class CallTargets(IOptions<RoutingOptions> options, SipTargetResolver resolver, IRegistrationStore registrations, TimeProvider time)
{
    /// <summary>How many lists of literal targets are kept; past it the memory starts over.</summary>
    internal const int LiteralListsKept = 10_000;

    // Targets that need no DNS (IP literals: a script's URI, the gateways) are the same for every call of a script, so
    // they are made once and shared: a call in progress then holds no URI, strings or endpoint of its own, ~400 bytes
    // a call that every young collection had to copy (docs/sip.md). Names are resolved per call, as their records may
    // change; sip_trunk contacts are read per call, as registrations change.
    private readonly ConcurrentDictionary<(RedirectType Redirect, string Value), CallTarget[]> literalLists = new();

    public async Task<IReadOnlyList<CallTarget>> ResolveAsync(RouteDecision route, CancellationToken cancellationToken)
    {
        switch (route.Redirect)
        {
            case RedirectType.Phone:
            {
                var number = route.Settings.NumberMap.TryGetValue(route.RedirectValue, out var mapped) ? mapped : route.RedirectValue;
                if (literalLists.TryGetValue((RedirectType.Phone, number), out var known))
                {
                    return known;
                }

                var targets = new List<CallTarget>();
                var literal = true;
                foreach (var gateway in options.Value.OutboundGateways)
                {
                    if (!GatewayAddress.TryParse(gateway, out var address))
                    {
                        continue;
                    }

                    literal &= SipTargetResolver.IsLiteral(address.Host);
                    var uri = new SipUri { Scheme = "sip", User = number, Host = address.Host, Port = address.Port };
                    foreach (var resolved in await resolver.ResolveAsync(address.Host, address.Port, address.Transport, secure: false, cancellationToken))
                    {
                        targets.Add(new CallTarget(uri, uri, ToEndPoint(resolved)));
                    }
                }

                return literal ? Remember((RedirectType.Phone, number), [.. targets]) : targets;
            }

            case RedirectType.Sip:
            {
                if (literalLists.TryGetValue((RedirectType.Sip, route.RedirectValue), out var known))
                {
                    return known;
                }

                var uri = SipUri.Parse(route.RedirectValue, out _);
                if (uri is null || uri.IsTel)
                {
                    return [];
                }

                var resolved = await resolver.ResolveAsync(uri.Host, uri.Port, uri.Transport, uri.IsSecure, cancellationToken);
                var clean = uri.With();
                var targets = resolved.Select(r => new CallTarget(clean, clean, ToEndPoint(r))).ToArray();
                return SipTargetResolver.IsLiteral(uri.Host) ? Remember((RedirectType.Sip, route.RedirectValue), targets) : targets;
            }

            case RedirectType.SipTrunk:
            {
                var account = route.SipAccount ?? string.Empty;
                var extension = route.Settings.SipAccountMap.TryGetValue(account, out var ext) ? ext : null;
                var targets = new List<CallTarget>();
                foreach (var binding in await registrations.GetAsync(account, time.GetUtcNow(), cancellationToken))
                {
                    var contact = SipUri.Parse(binding.ContactUri, out _);
                    if (contact is null || contact.IsTel)
                    {
                        continue;
                    }

                    // With send-trunk-address the PBX sees its account (or mapped extension) as the dialed user; otherwise the pool number.
                    var user = route.Settings.SendTrunkAddress ? extension ?? account : extension ?? route.DialedNumber;
                    var requestUri = contact.With(user: user);
                    var toUri = new SipUri { Scheme = "sip", User = user, Host = contact.Host, Port = contact.Port };
                    if (TryParseReceivedFrom(binding.ReceivedFrom, out var destination))
                    {
                        // Reach a NATed PBX where its REGISTER came from, not at the private address in its Contact.
                        targets.Add(new CallTarget(requestUri, toUri, destination));
                    }
                    else
                    {
                        foreach (var resolved in await resolver.ResolveAsync(contact.Host, contact.Port, contact.Transport, contact.IsSecure, cancellationToken))
                        {
                            targets.Add(new CallTarget(requestUri, toUri, ToEndPoint(resolved)));
                        }
                    }
                }

                return targets;
            }

            default:
                return [];
        }
    }

    private CallTarget[] Remember((RedirectType, string) key, CallTarget[] targets)
    {
        if (literalLists.Count >= LiteralListsKept)
        {
            literalLists.Clear();
        }

        return literalLists.GetOrAdd(key, targets);
    }

    /// <summary>How many lists of literal targets are remembered (for tests).</summary>
    internal int LiteralListCount => literalLists.Count;

    private static SipEndPoint ToEndPoint(ResolvedTarget target) =>
        new(target.Transport == "tcp" ? SipTransportKind.Tcp : SipTransportKind.Udp, target.EndPoint);

    /// <summary>Reads <c>udp:192.0.2.1:5060</c> as stored by the registrar.</summary>
    internal static bool TryParseReceivedFrom(string text, out SipEndPoint endPoint)
    {
        endPoint = default;
        var colon = text.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0 || !IPEndPoint.TryParse(text[(colon + 1)..], out var address))
        {
            return false;
        }

        var transport = text[..colon].Equals("tcp", StringComparison.OrdinalIgnoreCase) ? SipTransportKind.Tcp : SipTransportKind.Udp;
        endPoint = new SipEndPoint(transport, address);
        return true;
    }
}
