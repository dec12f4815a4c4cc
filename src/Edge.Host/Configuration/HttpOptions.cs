namespace Calltracking.Edge.Host.Configuration;

/// <summary>Section <c>Http</c>: the API, site and operations listener.</summary>
public sealed class HttpOptions
{
    public const string Section = "Http";

    /// <summary>Semicolon-separated listen URLs (<c>Http__Urls</c>).</summary>
    public string Urls { get; set; } = "http://127.0.0.1:8080";

    /// <summary>Key for operator endpoints such as <c>/status</c> (<c>Http__AdminKey</c>); empty disables them.</summary>
    public string AdminKey { get; set; } = string.Empty;

    /// <summary>Seconds an API key stays cached after a successful lookup (<c>Http__ApiKeyCacheSeconds</c>).</summary>
    public int ApiKeyCacheSeconds { get; set; } = 30;
}
