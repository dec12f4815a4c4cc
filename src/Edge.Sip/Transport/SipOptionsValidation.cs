using System.Globalization;
using System.Net;
using Microsoft.Extensions.Options;

namespace Calltracking.Edge.Sip.Transport;

/// <summary>Start-up checks of <see cref="SipOptions"/>; each failure names the setting.</summary>
internal sealed class SipOptionsValidation : IValidateOptions<SipOptions>
{
    public ValidateOptionsResult Validate(string? name, SipOptions options)
    {
        var failures = new List<string>();
        if (options.UdpListen.Length > 0 && !IPEndPoint.TryParse(options.UdpListen, out _))
        {
            failures.Add($"Sip:UdpListen '{options.UdpListen}' is not ip:port");
        }

        if (options.TcpListen.Length > 0 && !IPEndPoint.TryParse(options.TcpListen, out _))
        {
            failures.Add($"Sip:TcpListen '{options.TcpListen}' is not ip:port");
        }

        if (options.UdpListen.Length == 0 && options.TcpListen.Length == 0)
        {
            failures.Add("Sip:UdpListen and Sip:TcpListen are both empty: the edge would not listen for SIP");
        }

        if (options.AdvertisedAddress.Length > 0 && !IPEndPoint.TryParse(options.AdvertisedAddress, out _) && Uri.CheckHostName(options.AdvertisedAddress.Split(':')[0]) == UriHostNameType.Unknown)
        {
            failures.Add($"Sip:AdvertisedAddress '{options.AdvertisedAddress}' is not host[:port]");
        }

        Check(failures, "Sip:UdpReceiveLoops", options.UdpReceiveLoops, 0, 64);
        Check(failures, "Sip:MaxMessageSize", options.MaxMessageSize, 1024, 65_535);
        Check(failures, "Sip:MaxTcpConnections", options.MaxTcpConnections, 1, 1_000_000);
        Check(failures, "Sip:TcpIdleTimeoutSeconds", options.TcpIdleTimeoutSeconds, 1, 86_400);
        Check(failures, "Sip:T1Milliseconds", options.T1Milliseconds, 10, 10_000);
        Check(failures, "Sip:T2Milliseconds", options.T2Milliseconds, options.T1Milliseconds, 60_000);
        Check(failures, "Sip:T4Milliseconds", options.T4Milliseconds, 10, 60_000);
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void Check(List<string> failures, string setting, int value, int min, int max)
    {
        if (value < min || value > max)
        {
            failures.Add(string.Create(CultureInfo.InvariantCulture, $"{setting} must be between {min} and {max}, got {value}"));
        }
    }
}
