namespace Calltracking.Edge.Host.Api;

/// <summary>The API's error body: <c>{"status":"error","error":code,"message":…}</c>, as Roistat clients expect.</summary>
internal static class ApiErrors
{
    public static IResult Error(int httpStatus, string code, string message) =>
        Results.Json(new ErrorBody("error", code, message), statusCode: httpStatus);

    private sealed record ErrorBody(
        [property: System.Text.Json.Serialization.JsonPropertyName("status")] string Status,
        [property: System.Text.Json.Serialization.JsonPropertyName("error")] string Error,
        [property: System.Text.Json.Serialization.JsonPropertyName("message")] string Message);
}
