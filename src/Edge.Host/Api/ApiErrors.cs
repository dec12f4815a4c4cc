using Calltracking.Shared.Json;

namespace Calltracking.Edge.Host.Api;

/// <summary>The API's error answer: <see cref="ApiError"/> in the API's JSON shape with an HTTP status.</summary>
internal static class ApiErrors
{
    public static IResult Error(int httpStatus, string code, string message) =>
        Results.Json(ApiError.Of(code, message), ApiJson.Options, statusCode: httpStatus);
}
