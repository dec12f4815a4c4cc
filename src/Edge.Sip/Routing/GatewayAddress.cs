using System.Globalization;

namespace Calltracking.Edge.Sip.Routing;

/// <summary>An outbound gateway: host (name or IP literal, IPv6 in brackets), port, transport.</summary>
public sealed record GatewayAddress(string Host, int Port, string Transport)
{
    public static bool TryParse(string text, out GatewayAddress address)
    {
        address = null!;
        var transport = "udp";
        var semicolon = text.IndexOf(';', StringComparison.Ordinal);
        var hostPort = (semicolon < 0 ? text : text[..semicolon]).Trim();
        if (semicolon >= 0)
        {
            var parameter = text[(semicolon + 1)..].Trim();
            if (!parameter.StartsWith("transport=", StringComparison.OrdinalIgnoreCase))
            {
                return false;
            }

            transport = parameter["transport=".Length..].ToLowerInvariant();
            if (transport is not ("udp" or "tcp"))
            {
                return false;
            }
        }

        string host;
        var port = 5060;
        if (hostPort.StartsWith('['))
        {
            var close = hostPort.IndexOf(']', StringComparison.Ordinal);
            if (close < 0)
            {
                return false;
            }

            host = hostPort[1..close];
            var rest = hostPort[(close + 1)..];
            if (rest.Length > 0 && (!rest.StartsWith(':') || !TryPort(rest[1..], out port)))
            {
                return false;
            }
        }
        else
        {
            var colon = hostPort.LastIndexOf(':');
            host = colon < 0 ? hostPort : hostPort[..colon];
            if (colon >= 0 && !TryPort(hostPort[(colon + 1)..], out port))
            {
                return false;
            }
        }

        if (host.Length == 0 || host.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or ':')))
        {
            return false;
        }

        address = new GatewayAddress(host, port, transport);
        return true;
    }

    private static bool TryPort(string text, out int port) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out port) && port is > 0 and < 65536;
}
