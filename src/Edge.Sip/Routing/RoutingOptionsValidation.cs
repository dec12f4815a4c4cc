using System.Globalization;
using Microsoft.Extensions.Options;
using Calltracking.Shared.Routing;

namespace Calltracking.Edge.Sip.Routing;

/// <summary>Start-up checks of <see cref="RoutingOptions"/>; each failure names the setting.</summary>
internal sealed class RoutingOptionsValidation : IValidateOptions<RoutingOptions>
{
    public ValidateOptionsResult Validate(string? name, RoutingOptions options)
    {
        var failures = new List<string>();
        for (var i = 0; i < options.Carriers.Count; i++)
        {
            if (!TrustedSources.TryParseBlock(options.Carriers[i].Cidr.Trim(), out _))
            {
                failures.Add(string.Create(CultureInfo.InvariantCulture, $"Routing:Carriers:{i}:Cidr '{options.Carriers[i].Cidr}' is not an IP address or CIDR block"));
            }
        }

        for (var i = 0; i < options.OutboundGateways.Count; i++)
        {
            if (!GatewayAddress.TryParse(options.OutboundGateways[i], out _))
            {
                failures.Add(string.Create(CultureInfo.InvariantCulture, $"Routing:OutboundGateways:{i} '{options.OutboundGateways[i]}' is not host:port[;transport=udp|tcp]"));
            }
        }

        if (options.RegistrarAlgorithms.Any(a => a is not ("SHA-256" or "MD5")))
        {
            failures.Add("Routing:RegistrarAlgorithms must list SHA-256 and/or MD5");
        }

        Range(failures, "Routing:DrainTimeoutSeconds", options.DrainTimeoutSeconds, 0, 3600);
        Range(failures, "Routing:GatewayTimeoutSeconds", options.GatewayTimeoutSeconds, 1, 120);
        Range(failures, "Routing:DefaultRingTimeoutSeconds", options.DefaultRingTimeoutSeconds, 5, 600);
        Range(failures, "Routing:MaxCallSeconds", options.MaxCallSeconds, 0, 7 * 24 * 3600);
        Range(failures, "Routing:MaxActiveCalls", options.MaxActiveCalls, 1, 1_000_000);
        Range(failures, "Routing:MaxQueueDelayMilliseconds", options.MaxQueueDelayMilliseconds, 0, 10_000);
        Range(failures, "Routing:InvitesPerSecondPerSource", options.InvitesPerSecondPerSource, 1, 1_000_000);
        Range(failures, "Routing:RegistersPerSecondPerSource", options.RegistersPerSecondPerSource, 1, 1_000_000);
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void Range(List<string> failures, string setting, int value, int min, int max)
    {
        if (value < min || value > max)
        {
            failures.Add(string.Create(CultureInfo.InvariantCulture, $"{setting} must be between {min} and {max}, got {value}"));
        }
    }
}
