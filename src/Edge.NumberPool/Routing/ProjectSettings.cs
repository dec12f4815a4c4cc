using System.Text.Json;
using System.Text.Json.Nodes;
using Calltracking.Shared.Json;
using Calltracking.Shared.Routing;

namespace Calltracking.Edge.NumberPool.Routing;

/// <summary>
/// The per-project switches of the settings page (stored in <c>projects.settings</c>): custom INVITE headers,
/// SIP-account and number mappings (<c>key=value</c> lists), no-record, no-normalise, send-trunk-address,
/// forbid-listening-by-link, stereo recordings.
/// </summary>
public static class ProjectSettings
{
    private static readonly string[] Flags = ["no_record", "no_normalize_caller", "send_trunk_address", "forbid_listening_by_link", "record_stereo"];
    private static readonly string[] Lists = ["custom_headers", "sip_account_map", "number_map"];

    public static ProjectCallSettings Parse(string json)
    {
        using var document = JsonDocument.Parse(json);
        var root = document.RootElement;
        bool Flag(string name) => root.TryGetProperty(name, out var v) && (v.ValueKind == JsonValueKind.True || (v.ValueKind == JsonValueKind.Number && v.GetInt32() == 1));
        string Text(string name) => root.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString()! : string.Empty;
        return new ProjectCallSettings
        {
            CustomHeaders = Pairs(Text("custom_headers")),
            SipAccountMap = Pairs(Text("sip_account_map")).ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal),
            NumberMap = Pairs(Text("number_map")).ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal),
            NoRecord = Flag("no_record"),
            NoNormalizeCaller = Flag("no_normalize_caller"),
            SendTrunkAddress = Flag("send_trunk_address"),
            ForbidListeningByLink = Flag("forbid_listening_by_link"),
            RecordStereo = Flag("record_stereo"),
        };
    }

    /// <summary>Validates a settings update and returns the document to store; errors name the field.</summary>
    public static string Validate(JsonElement body, string currentJson)
    {
        if (body.ValueKind != JsonValueKind.Object)
        {
            throw new ApiValidationException("body", "must be a JSON object");
        }

        var current = JsonNode.Parse(currentJson)!.AsObject();
        foreach (var property in body.EnumerateObject())
        {
            if (Flags.Contains(property.Name))
            {
                current[property.Name] = property.Value.ValueKind switch
                {
                    JsonValueKind.Number when property.Value.TryGetInt32(out var n) && n is 0 or 1 => n,
                    JsonValueKind.True => 1,
                    JsonValueKind.False => 0,
                    _ => throw new ApiValidationException(property.Name, "must be 0 or 1"),
                };
            }
            else if (Lists.Contains(property.Name))
            {
                var text = property.Value.ValueKind == JsonValueKind.String ? property.Value.GetString()! : throw new ApiValidationException(property.Name, "must be a string of name=value pairs separated by commas");
                var pairs = Pairs(text, property.Name);
                if (property.Name == "custom_headers")
                {
                    foreach (var (name, _) in pairs)
                    {
                        if (!IsToken(name) || name.StartsWith("x-roistat", StringComparison.OrdinalIgnoreCase))
                        {
                            throw new ApiValidationException(property.Name, $"'{name}' is not a header name the edge may add");
                        }
                    }
                }
                else if (property.Name == "number_map")
                {
                    foreach (var (from, to) in pairs)
                    {
                        if (!from.All(char.IsAsciiDigit) || !to.All(char.IsAsciiDigit))
                        {
                            throw new ApiValidationException(property.Name, $"'{from}={to}' must map digits to digits");
                        }
                    }
                }

                current[property.Name] = text;
            }
            else
            {
                throw new ApiValidationException(property.Name, "is not a project setting");
            }
        }

        return current.ToJsonString();
    }

    public static JsonObject View(string json)
    {
        var settings = JsonNode.Parse(json)!.AsObject();
        var view = new JsonObject();
        foreach (var flag in Flags)
        {
            view[flag] = settings[flag]?.GetValue<int>() ?? 0;
        }

        foreach (var list in Lists)
        {
            view[list] = settings[list]?.GetValue<string>() ?? string.Empty;
        }

        return view;
    }

    private static List<KeyValuePair<string, string>> Pairs(string text, string? field = null)
    {
        var result = new List<KeyValuePair<string, string>>();
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var eq = part.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                if (field is not null)
                {
                    throw new ApiValidationException(field, $"'{part}' must be written as name=value");
                }

                continue;
            }

            result.Add(new(part[..eq].Trim(), part[(eq + 1)..].Trim()));
        }

        return result;
    }

    private static bool IsToken(string name) =>
        name.Length > 0 && name.All(c => char.IsAsciiLetterOrDigit(c) || "-.!%*_+`'~".Contains(c, StringComparison.Ordinal));
}
