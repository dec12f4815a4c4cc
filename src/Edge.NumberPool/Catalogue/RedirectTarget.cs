namespace Calltracking.Edge.NumberPool.Catalogue;

/// <summary>Checks of redirect values.</summary>
public static class RedirectTarget
{
    /// <summary>Accepts <c>user@host[:port]</c> or <c>sip:user@host[:port][;params]</c>; returns the <c>sip:</c> form.</summary>
    public static bool TryNormalizeSipUri(string value, out string uri)
    {
        uri = string.Empty;
        var text = value.Trim();
        if (!text.StartsWith("sip:", StringComparison.OrdinalIgnoreCase) && !text.StartsWith("sips:", StringComparison.OrdinalIgnoreCase))
        {
            text = "sip:" + text;
        }

        var colon = text.IndexOf(':', StringComparison.Ordinal);
        var rest = text[(colon + 1)..];
        var at = rest.LastIndexOf('@');
        if (at <= 0 || at == rest.Length - 1 || rest.Any(c => char.IsWhiteSpace(c) || char.IsControl(c) || c is '<' or '>' or '"'))
        {
            return false;
        }

        var host = rest[(at + 1)..].Split(';')[0];
        var hostOnly = host.StartsWith('[') ? host : host.Split(':')[0];
        if (hostOnly.Length == 0 || Uri.CheckHostName(hostOnly.Trim('[', ']')) == UriHostNameType.Unknown)
        {
            return false;
        }

        uri = string.Concat(text[..(colon + 1)].ToLowerInvariant(), rest);
        return true;
    }
}
