using System.Net;
using System.Net.Sockets;

namespace Calltracking.Edge.Recording.Webhooks;

/// <summary>
/// Keeps webhooks from reaching the edge's own network (SSRF): the check runs on the address actually connected to,
/// after DNS, so a name that resolves to 127.0.0.1 or 10.x is refused like the literal.
/// </summary>
public static class PrivateAddressGuard
{
    public static bool IsPrivate(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (IPAddress.IsLoopback(address) || address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any))
        {
            return true;
        }

        if (address.AddressFamily == AddressFamily.InterNetworkV6)
        {
            return address.IsIPv6LinkLocal || address.IsIPv6SiteLocal || address.IsIPv6UniqueLocal || address.IsIPv6Multicast;
        }

        var b = address.GetAddressBytes();
        return b[0] == 10
            || (b[0] == 172 && b[1] >= 16 && b[1] <= 31)
            || (b[0] == 192 && b[1] == 168)
            || (b[0] == 169 && b[1] == 254)
            || (b[0] == 100 && b[1] >= 64 && b[1] <= 127)
            || b[0] == 0
            || b[0] >= 224;
    }

    /// <summary>A connect callback for <see cref="SocketsHttpHandler"/> that refuses private addresses unless allowed.</summary>
    public static Func<SocketsHttpConnectionContext, CancellationToken, ValueTask<Stream>> ConnectCallback(bool allowPrivate) => async (context, cancellationToken) =>
    {
        var addresses = await Dns.GetHostAddressesAsync(context.DnsEndPoint.Host, cancellationToken);
        var allowed = addresses.Where(a => allowPrivate || !IsPrivate(a)).ToList();
        if (allowed.Count == 0)
        {
            throw new HttpRequestException($"webhook target {context.DnsEndPoint.Host} resolves only to private or loopback addresses, which are not allowed");
        }

        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(allowed.Select(a => (EndPoint)new IPEndPoint(a, context.DnsEndPoint.Port)).First(), cancellationToken);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    };
}
