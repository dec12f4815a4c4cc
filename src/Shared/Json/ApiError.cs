namespace Calltracking.Shared.Json;

/// <summary>The API's error body: <c>{"status":"error","error":code,"message":…}</c>.</summary>
public sealed record ApiError(string Status, string Error, string Message)
{
    public static ApiError Of(string error, string message) => new("error", error, message);
}

/// <summary>A request body or parameter that is wrong; <see cref="Field"/> is the JSON path of the culprit.</summary>
public sealed class ApiValidationException(string field, string message) : Exception($"{field}: {message}")
{
    public string Field { get; } = field;
}
