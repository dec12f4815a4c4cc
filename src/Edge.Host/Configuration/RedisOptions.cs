namespace Calltracking.Edge.Host.Configuration;

/// <summary>Section <c>Redis</c>: where leases and registrations live.</summary>
public sealed class RedisOptions
{
    public const string Section = "Redis";

    /// <summary>StackExchange.Redis configuration string, e.g. <c>127.0.0.1:6379</c> (<c>Redis__Configuration</c>).</summary>
    public string Configuration { get; set; } = string.Empty;

    /// <summary>
    /// The lease scripts of page views and INVITEs on a pipelined connection of their own (<c>Redis__PipelineScripts</c>,
    /// default on); off, or with a configuration it cannot serve (TLS, several endpoints, sentinel), they share the
    /// multiplexer.
    /// </summary>
    public bool PipelineScripts { get; set; } = true;
}
