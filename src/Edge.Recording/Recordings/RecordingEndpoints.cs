using Calltracking.Shared.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Options;

namespace Calltracking.Edge.Recording.Recordings;

/// <summary>Serving recordings: by API key at the reference's path, or through a signed, expiring link.</summary>
public static class RecordingEndpoints
{
    /// <summary><c>project/calltracking/call/{callId}/file</c> (GET and POST) inside the API-key group.</summary>
    public static RouteGroupBuilder MapRecordingApi(this RouteGroupBuilder api)
    {
        api.MapMethods("/project/calltracking/call/{callId}/file", ["GET", "POST"], async (HttpContext http, string callId, RecordingStore store, IOptions<RecordingOptions> options) =>
        {
            if (!Guid.TryParse(callId, out var id))
            {
                return Error(StatusCodes.Status400BadRequest, "invalid_request", $"callId: '{callId}' is not a call id");
            }

            var project = long.Parse(http.Request.Query["project"].ToString(), System.Globalization.CultureInfo.InvariantCulture);
            var file = await store.FindAsync(id, project, http.RequestAborted);
            return Serve(file, options.Value);
        });
        return api;
    }

    /// <summary><c>/calltracking/call/{callId}/file/{token}</c>: the signed link, for players and CRMs without the API key.</summary>
    public static IEndpointRouteBuilder MapRecordingLinks(this IEndpointRouteBuilder app)
    {
        app.MapGet("/calltracking/call/{callId}/file/{token}", async (HttpContext http, string callId, string token, RecordingLinks links, RecordingStore store, IOptions<RecordingOptions> options) =>
        {
            if (!Guid.TryParse(callId, out var id))
            {
                return Error(StatusCodes.Status404NotFound, "not_found", $"callId: '{callId}' is not a call id");
            }

            switch (links.Check(id, token))
            {
                case LinkCheck.Invalid:
                    return Error(StatusCodes.Status403Forbidden, "invalid_link", "token: the link's signature is not valid for this call");
                case LinkCheck.Expired:
                    return Error(StatusCodes.Status410Gone, "link_expired", "token: the link has expired; list the call again for a fresh link");
            }

            var file = await store.FindAsync(id, projectId: null, http.RequestAborted);
            if (file is { ForbidLinks: true })
            {
                return Error(StatusCodes.Status403Forbidden, "access_denied", "the project allows listening to recordings only with its API key");
            }

            return Serve(file, options.Value);
        });
        return app;
    }

    private static IResult Serve(RecordingFile? file, RecordingOptions options)
    {
        if (file is null)
        {
            return Error(StatusCodes.Status404NotFound, "not_found", "callId: the call has no ready recording");
        }

        var root = Path.GetFullPath(options.Directory);
        var path = Path.GetFullPath(Path.Combine(root, file.RelativePath));
        if (!path.StartsWith(root + Path.DirectorySeparatorChar, StringComparison.Ordinal) || !File.Exists(path))
        {
            return Error(StatusCodes.Status404NotFound, "not_found", "callId: the recording's file is missing");
        }

        return Results.File(path, "audio/mpeg", $"{file.CallId:N}.mp3", enableRangeProcessing: true);
    }

    private static IResult Error(int status, string code, string message) =>
        Results.Json(ApiError.Of(code, message), ApiJson.Options, statusCode: status);
}
