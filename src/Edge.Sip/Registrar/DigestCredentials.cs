namespace Calltracking.Edge.Sip.Registrar;

/// <summary>The parameters of an <c>Authorization: Digest …</c> header (RFC 3261 §22.4, RFC 2617 §3.2.2, RFC 8760).</summary>
public sealed record DigestCredentials(
    string Username,
    string Realm,
    string Nonce,
    string Uri,
    string Response,
    string Algorithm,
    string? Cnonce,
    string? Qop,
    string? NonceCount,
    string? Opaque)
{
    /// <summary>Parses the header value; null when it is not a well-formed Digest credential.</summary>
    public static DigestCredentials? Parse(ReadOnlySpan<char> value)
    {
        value = value.Trim();
        if (value.Length < 7 || !value[..6].Equals("Digest", StringComparison.OrdinalIgnoreCase) || !char.IsWhiteSpace(value[6]))
        {
            return null;
        }

        var parameters = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var rest = value[7..];
        while (true)
        {
            rest = rest.TrimStart();
            if (rest.IsEmpty)
            {
                break;
            }

            var eq = rest.IndexOf('=');
            if (eq <= 0)
            {
                return null;
            }

            var name = rest[..eq].Trim().ToString();
            rest = rest[(eq + 1)..].TrimStart();
            string parameterValue;
            if (!rest.IsEmpty && rest[0] == '"')
            {
                // quoted-string with backslash escapes (RFC 3261 §25.1)
                var builder = new System.Text.StringBuilder();
                var i = 1;
                var closed = false;
                for (; i < rest.Length; i++)
                {
                    if (rest[i] == '\\' && i + 1 < rest.Length)
                    {
                        builder.Append(rest[++i]);
                    }
                    else if (rest[i] == '"')
                    {
                        closed = true;
                        break;
                    }
                    else
                    {
                        builder.Append(rest[i]);
                    }
                }

                if (!closed)
                {
                    return null;
                }

                parameterValue = builder.ToString();
                rest = rest[(i + 1)..].TrimStart();
            }
            else
            {
                var end = rest.IndexOf(',');
                parameterValue = (end < 0 ? rest : rest[..end]).Trim().ToString();
                rest = end < 0 ? [] : rest[end..];
            }

            if (!parameters.TryAdd(name, parameterValue))
            {
                return null;
            }

            rest = rest.TrimStart();
            if (!rest.IsEmpty)
            {
                if (rest[0] != ',')
                {
                    return null;
                }

                rest = rest[1..];
            }
        }

        string? Get(string key) => parameters.TryGetValue(key, out var v) ? v : null;
        var username = Get("username");
        var realm = Get("realm");
        var nonce = Get("nonce");
        var uri = Get("uri");
        var response = Get("response");
        if (username is null || realm is null || nonce is null || uri is null || response is null)
        {
            return null;
        }

        return new DigestCredentials(username, realm, nonce, uri, response, Get("algorithm") ?? "MD5", Get("cnonce"), Get("qop"), Get("nc"), Get("opaque"));
    }
}
