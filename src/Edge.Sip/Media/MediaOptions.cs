using System.Net;
using Microsoft.Extensions.Options;

namespace Calltracking.Edge.Sip.Media;

/// <summary>Section <c>Media</c>: the RTP relay used for recorded calls.</summary>
public sealed class MediaOptions
{
    public const string Section = "Media";

    /// <summary>Relay (and so record) the media of projects that record calls (<c>Media__Enabled</c>).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Address the relay's sockets bind to (<c>Media__ListenAddress</c>).</summary>
    public string ListenAddress { get; set; } = "127.0.0.1";

    /// <summary>Address written into SDP (<c>Media__AdvertisedAddress</c>); empty means the listen address. Set it behind NAT or with 0.0.0.0.</summary>
    public string AdvertisedAddress { get; set; } = string.Empty;

    /// <summary>First port of the relay's range, even (<c>Media__PortMin</c>).</summary>
    public int PortMin { get; set; } = 20_000;

    /// <summary>Last port of the relay's range (<c>Media__PortMax</c>). Each relayed call takes four ports.</summary>
    public int PortMax { get; set; } = 29_999;

    /// <summary>Seconds without any packet in either direction after which an answered call is hung up (<c>Media__IdleTimeoutSeconds</c>).</summary>
    public int IdleTimeoutSeconds { get; set; } = 60;

    internal IPAddress Listen => IPAddress.Parse(ListenAddress);

    internal IPAddress Advertised => AdvertisedAddress.Length > 0 ? IPAddress.Parse(AdvertisedAddress) : Listen;
}

internal sealed class MediaOptionsValidation : IValidateOptions<MediaOptions>
{
    public ValidateOptionsResult Validate(string? name, MediaOptions options)
    {
        var failures = new List<string>();
        if (options.Enabled && !OperatingSystem.IsLinux())
        {
            failures.Add("Media:Enabled needs Linux (the relay reads its sockets with epoll); set it to false elsewhere");
        }

        if (!IPAddress.TryParse(options.ListenAddress, out var listen))
        {
            failures.Add($"Media:ListenAddress '{options.ListenAddress}' is not an IP address");
        }

        if (options.AdvertisedAddress.Length > 0 && (!IPAddress.TryParse(options.AdvertisedAddress, out var advertised) || advertised.Equals(IPAddress.Any) || advertised.Equals(IPAddress.IPv6Any)))
        {
            failures.Add($"Media:AdvertisedAddress '{options.AdvertisedAddress}' is not a usable IP address");
        }
        else if (options.AdvertisedAddress.Length == 0 && listen is not null && (listen.Equals(IPAddress.Any) || listen.Equals(IPAddress.IPv6Any)))
        {
            failures.Add("Media:AdvertisedAddress is required when Media:ListenAddress is a wildcard address");
        }

        if (options.PortMin is < 1024 or > 65_532 || options.PortMin % 2 != 0)
        {
            failures.Add($"Media:PortMin must be an even port between 1024 and 65532, got {options.PortMin}");
        }

        if (options.PortMax > 65_535 || options.PortMax < options.PortMin + 3)
        {
            failures.Add($"Media:PortMax must be at most 65535 and leave room for one call (4 ports) above Media:PortMin, got {options.PortMax}");
        }

        if (options.IdleTimeoutSeconds is < 5 or > 7200)
        {
            failures.Add($"Media:IdleTimeoutSeconds must be between 5 and 7200, got {options.IdleTimeoutSeconds}");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
