using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Calltracking.Edge.NumberPool.Leases;
using Calltracking.Shared.Filters;
using Calltracking.Shared.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Calltracking.Edge.NumberPool.Catalogue;

/// <summary>The scripts and phones API at the reference's paths (mapped under <c>/api/v1</c> behind the Api-key filter).</summary>
public static class CatalogueEndpoints
{
    private static readonly FilterParser PhoneFilters = FilterParser.For(
        new FilterField("id", "p.id", FilterValueType.Integer),
        new FilterField("phone", "p.phone", FilterValueType.String),
        new FilterField("prefix", "p.prefix", FilterValueType.String),
        new FilterField("script_id", "p.script_id", FilterValueType.Integer),
        new FilterField("is_external", "p.is_external", FilterValueType.Boolean),
        new FilterField("last_use_date", "p.last_use_date", FilterValueType.DateTime),
        new FilterField("call_count", "p.call_count", FilterValueType.Integer),
        new FilterField("creation_date", "p.created_at", FilterValueType.DateTime));

    public static RouteGroupBuilder MapNumberPoolApi(this RouteGroupBuilder api)
    {
        api.MapPost("/project/calltracking/script/create", (HttpContext http, CatalogueService service) =>
            Handle(http, async (project, body) =>
            {
                var script = await service.CreateScriptAsync(project, ScriptInput.Parse(body, update: false), http.RequestAborted);
                return new JsonObject { ["data"] = script, ["total"] = 1, ["status"] = "success" };
            }));
        api.MapMethods("/project/calltracking/script/list", ["GET", "POST"], (HttpContext http, CatalogueService service) =>
            Handle(http, async (project, body) =>
            {
                bool? deleted = body.ValueKind == JsonValueKind.Object ? Json.OptionalFlag(body, "is_deleted") : null;
                var scripts = await service.ListScriptsAsync(project, deleted ?? false, http.RequestAborted);
                return new JsonObject { ["data"] = new JsonArray([.. scripts]), ["total"] = scripts.Count, ["status"] = "success" };
            }));
        api.MapPost("/project/calltracking/script/update", (HttpContext http, CatalogueService service) =>
            Handle(http, async (project, body) =>
            {
                var input = ScriptInput.Parse(body, update: true);
                return await service.UpdateScriptAsync(project, input, http.RequestAborted)
                    ? Success()
                    : throw new ApiValidationException("id", $"script {input.Id} does not exist in this project");
            }));
        api.MapPost("/project/calltracking/script/delete", (HttpContext http, CatalogueService service) =>
            Handle(http, async (project, body) =>
            {
                var id = Json.RequiredLong(body, "id");
                return await service.DeleteScriptAsync(project, id, http.RequestAborted) ? Success() : throw new ApiValidationException("id", $"script {id} does not exist in this project");
            }));

        api.MapPost("/project/calltracking/phone/create", (HttpContext http, CatalogueService service) =>
            Handle(http, async (project, body) =>
            {
                if (body.ValueKind != JsonValueKind.Object || !body.TryGetProperty("phones", out var phones))
                {
                    throw new ApiValidationException("phones", "is required");
                }

                var numbers = ScriptInput.ParseNumbers(phones, "phones");
                if (numbers.Count == 0)
                {
                    throw new ApiValidationException("phones", "must hold at least one number");
                }

                var rows = await service.CreatePhonesAsync(project, numbers, http.RequestAborted);
                return new JsonObject { ["data"] = new JsonArray([.. rows]), ["total"] = rows.Count, ["status"] = "success" };
            }));
        api.MapMethods("/project/calltracking/phone/list", ["GET", "POST"], (HttpContext http, CatalogueService service) =>
            Handle(http, async (project, body) =>
            {
                var query = ListQuery.Parse(body, PhoneFilters, "p.id ASC");
                var (rows, total) = await service.ListPhonesAsync(project, query, http.RequestAborted);
                return new JsonObject { ["data"] = new JsonArray([.. rows]), ["total"] = total, ["status"] = "success" };
            }));
        api.MapPost("/project/calltracking/phone/update", (HttpContext http, CatalogueService service) =>
            Handle(http, async (project, body) =>
            {
                var id = Json.RequiredLong(body, "id");
                var scriptId = Json.RequiredLong(body, "script_id");
                DateTimeOffset? lastUse = null;
                if (Json.OptionalString(body, "last_use_date", 64) is { } text)
                {
                    lastUse = ApiJson.TryParseDate(text, out var parsed) ? parsed : throw new ApiValidationException("last_use_date", "must be a date like 2016-10-11T21:00:00.000Z");
                }

                return await service.AttachPhoneAsync(project, id, scriptId, lastUse, http.RequestAborted)
                    ? Success()
                    : throw new ApiValidationException("id", $"phone {id} or script {scriptId} does not exist in this project");
            }));
        api.MapPost("/project/calltracking/phone/delete", (HttpContext http, CatalogueService service) =>
            Handle(http, async (project, body) =>
            {
                if (body.ValueKind != JsonValueKind.Object || !body.TryGetProperty("phones", out var phones) || phones.ValueKind != JsonValueKind.Array)
                {
                    throw new ApiValidationException("phones", "must be an array of phone ids");
                }

                var ids = phones.EnumerateArray().Select((p, i) => p.ValueKind == JsonValueKind.Number && p.TryGetInt64(out var id) && id > 0
                    ? id : throw new ApiValidationException($"phones[{i}]", "must be a phone id")).ToList();
                await service.DeletePhonesAsync(project, ids, http.RequestAborted);
                return Success();
            }));
        api.MapMethods("/project/calltracking/settings", ["GET", "POST"], (HttpContext http, CatalogueStore store, Routing.RouteCache routes) =>
            Handle(http, async (project, body) =>
            {
                var current = await store.GetSettingsAsync(project, http.RequestAborted);
                if (HttpMethods.IsPost(http.Request.Method) && body.ValueKind != JsonValueKind.Undefined)
                {
                    current = Routing.ProjectSettings.Validate(body, current);
                    await store.SetSettingsAsync(project, current, http.RequestAborted);
                    routes.Clear();
                }

                return new JsonObject { ["data"] = Routing.ProjectSettings.View(current), ["status"] = "success" };
            }));
        return api;
    }

    private static JsonObject Success() => new() { ["status"] = "success" };

    /// <summary>Reads the project and body, runs the handler, and turns validation failures into the API's 400.</summary>
    internal static async Task<IResult> Handle(HttpContext http, Func<long, JsonElement, Task<JsonObject>> handler)
    {
        var project = long.Parse(http.Request.Query["project"].ToString(), CultureInfo.InvariantCulture);
        JsonElement body = default;
        if (http.Request.ContentLength is > 0 || http.Request.Headers.TransferEncoding.Count > 0)
        {
            if (http.Request.ContentLength > 4 * 1024 * 1024)
            {
                return Results.Json(ApiError.Of("request_too_large", "the request body exceeds 4 MiB"), ApiJson.Options, statusCode: StatusCodes.Status413PayloadTooLarge);
            }

            try
            {
                using var document = await JsonDocument.ParseAsync(http.Request.Body, cancellationToken: http.RequestAborted);
                body = document.RootElement.Clone();
            }
            catch (JsonException ex)
            {
                return Results.Json(ApiError.Of("invalid_json", $"body: the request body is not valid JSON ({ex.Message})"), ApiJson.Options, statusCode: StatusCodes.Status400BadRequest);
            }
        }

        try
        {
            var result = await handler(project, body);
            return Results.Text(result.ToJsonString(ApiJson.Options), "application/json; charset=utf-8");
        }
        catch (ApiValidationException ex)
        {
            return Results.Json(ApiError.Of("invalid_request", ex.Message), ApiJson.Options, statusCode: StatusCodes.Status400BadRequest);
        }
    }
}
