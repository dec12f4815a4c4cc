using Microsoft.Extensions.Options;
using Npgsql;

namespace Calltracking.Edge.Host.Configuration;

/// <summary>
/// Start-up checks of the host's settings. Every failure names the setting as it is written in configuration
/// (and, with <c>__</c> for <c>:</c>, as an environment variable), so a bad deployment says what to fix.
/// </summary>
internal sealed class PostgresOptionsValidation : IValidateOptions<PostgresOptions>
{
    public ValidateOptionsResult Validate(string? name, PostgresOptions options)
    {
        if (string.IsNullOrWhiteSpace(options.ConnectionString))
        {
            return ValidateOptionsResult.Fail("Postgres:ConnectionString is required (e.g. Host=127.0.0.1;Port=5432;Username=edge;Database=edge)");
        }

        try
        {
            var builder = new NpgsqlConnectionStringBuilder(options.ConnectionString);
            if (string.IsNullOrWhiteSpace(builder.Host))
            {
                return ValidateOptionsResult.Fail("Postgres:ConnectionString has no Host");
            }
        }
        catch (ArgumentException ex)
        {
            return ValidateOptionsResult.Fail($"Postgres:ConnectionString is not a valid connection string: {ex.Message}");
        }

        return ValidateOptionsResult.Success;
    }
}

internal sealed class RedisOptionsValidation : IValidateOptions<RedisOptions>
{
    public ValidateOptionsResult Validate(string? name, RedisOptions options)
    {
        if (string.IsNullOrWhiteSpace(options.Configuration))
        {
            return ValidateOptionsResult.Fail("Redis:Configuration is required (e.g. 127.0.0.1:6379)");
        }

        try
        {
            var parsed = StackExchange.Redis.ConfigurationOptions.Parse(options.Configuration);
            if (parsed.EndPoints.Count == 0)
            {
                return ValidateOptionsResult.Fail("Redis:Configuration names no endpoint");
            }
        }
        catch (ArgumentException ex)
        {
            return ValidateOptionsResult.Fail($"Redis:Configuration is not valid: {ex.Message}");
        }

        return ValidateOptionsResult.Success;
    }
}

internal sealed class HttpOptionsValidation : IValidateOptions<HttpOptions>
{
    public ValidateOptionsResult Validate(string? name, HttpOptions options)
    {
        var failures = new List<string>();
        var urls = (options.Urls ?? string.Empty).Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (urls.Length == 0)
        {
            failures.Add("Http:Urls is required (e.g. http://127.0.0.1:8080)");
        }

        foreach (var url in urls)
        {
            if (!Uri.TryCreate(url.Replace("://*", "://0.0.0.0", StringComparison.Ordinal).Replace("://+", "://0.0.0.0", StringComparison.Ordinal), UriKind.Absolute, out var uri)
                || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
            {
                failures.Add($"Http:Urls has '{url}', which is not an http(s) URL");
            }
        }

        if (options.ApiKeyCacheSeconds is < 0 or > 3600)
        {
            failures.Add($"Http:ApiKeyCacheSeconds must be between 0 and 3600, got {options.ApiKeyCacheSeconds}");
        }

        if (options.AdminKey.Length is > 0 and < 16)
        {
            failures.Add("Http:AdminKey must be at least 16 characters when set");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}

/// <summary>
/// Settings of two modules that must agree, checked where both are composed: a relayed call is closed as abandoned
/// only once it is older than any live call can be, else a live call past the age would be closed under it.
/// </summary>
internal sealed class CallAgeValidation(IOptions<Calltracking.Edge.Sip.Routing.RoutingOptions> routing) : IValidateOptions<Calltracking.Edge.Recording.Calls.CallHistoryOptions>
{
    public ValidateOptionsResult Validate(string? name, Calltracking.Edge.Recording.Calls.CallHistoryOptions options)
    {
        var abandoned = (long)options.AbandonedAfterHours * 3600;
        var longest = routing.Value.MaxCallSeconds;
        if (abandoned == 0)
        {
            return ValidateOptionsResult.Success;
        }

        return longest == 0
            ? ValidateOptionsResult.Fail($"CallHistory:AbandonedAfterHours ({options.AbandonedAfterHours}) needs Routing:MaxCallSeconds above 0: with calls of any length, a live call would be closed as abandoned; set CallHistory:AbandonedAfterHours to 0 or limit calls")
            : abandoned <= longest
                ? ValidateOptionsResult.Fail($"CallHistory:AbandonedAfterHours ({options.AbandonedAfterHours} h) must be longer than Routing:MaxCallSeconds ({longest} s), the longest a live call lasts")
                : ValidateOptionsResult.Success;
    }
}
