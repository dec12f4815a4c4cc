namespace Calltracking.Edge.Host.Configuration;

/// <summary>Section <c>Redis</c>: where leases and registrations live.</summary>
public sealed class RedisOptions
{
    public const string Section = "Redis";

    /// <summary>StackExchange.Redis configuration string, e.g. <c>127.0.0.1:6379</c> (<c>Redis__Configuration</c>).</summary>
    public string Configuration { get; set; } = string.Empty;
}
