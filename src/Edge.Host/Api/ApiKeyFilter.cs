using System.Globalization;

namespace Calltracking.Edge.Host.Api;

/// <summary>
/// Guards <c>/api/v1</c>: the <c>project</c> query parameter must be a project id and the <c>Api-key</c> header a
/// key of that very project, so a key of one project can never read or change another's data.
/// </summary>
internal sealed class ApiKeyFilter(ApiKeyAuthenticator authenticator) : IEndpointFilter
{
    public const string ProjectItem = "edge.project_id";

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var projectText = http.Request.Query["project"].ToString();
        if (projectText.Length == 0)
        {
            return ApiErrors.Error(StatusCodes.Status400BadRequest, "project_required", "query parameter 'project' is required");
        }

        if (!long.TryParse(projectText, NumberStyles.None, CultureInfo.InvariantCulture, out var projectId) || projectId <= 0)
        {
            return ApiErrors.Error(StatusCodes.Status400BadRequest, "invalid_project", "query parameter 'project' must be a positive integer project id");
        }

        var key = http.Request.Headers["Api-key"].ToString();
        if (key.Length == 0)
        {
            return ApiErrors.Error(StatusCodes.Status401Unauthorized, "authentication_failed", "header 'Api-key' is required");
        }

        var keyProject = await authenticator.AuthenticateAsync(key, http.RequestAborted);
        if (keyProject is null)
        {
            return ApiErrors.Error(StatusCodes.Status401Unauthorized, "authentication_failed", "header 'Api-key' is not a valid key");
        }

        if (keyProject != projectId)
        {
            return ApiErrors.Error(StatusCodes.Status403Forbidden, "access_denied", "the 'Api-key' does not belong to the project given by 'project'");
        }

        http.Items[ProjectItem] = projectId;
        return await next(context);
    }
}
