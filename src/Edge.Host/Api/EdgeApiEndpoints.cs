namespace Calltracking.Edge.Host.Api;

/// <summary>The <c>/api/v1</c> route group every module maps its endpoints into, behind the Api-key filter.</summary>
internal static class EdgeApiEndpoints
{
    public static RouteGroupBuilder MapEdgeApi(this IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapGroup("/api/v1");
        group.AddEndpointFilter<ApiKeyFilter>();
        group.MapMethods("/project/info", ["GET", "POST"], (HttpContext http) =>
            Results.Json(new { status = "success", data = new { id = (long)http.Items[ApiKeyFilter.ProjectItem]! } }));
        return group;
    }
}
