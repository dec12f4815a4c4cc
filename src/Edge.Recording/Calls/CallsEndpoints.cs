using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Calltracking.Shared.Calls;
using Calltracking.Shared.Filters;
using Calltracking.Shared.Json;
using Calltracking.Shared.Phones;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

using Calltracking.Edge.Recording.Recordings;

namespace Calltracking.Edge.Recording.Calls;

/// <summary>The calls API: <c>project/calltracking/call/list</c> and <c>project/phone-call</c>.</summary>
public static class CallsEndpoints
{
    private static readonly FilterParser Filters = FilterParser.For(
        new FilterField("date", "c.started_at", FilterValueType.DateTime),
        new FilterField("status", "c.status", FilterValueType.String),
        new FilterField("callee", "c.callee", FilterValueType.String),
        new FilterField("caller", "c.caller", FilterValueType.String),
        new FilterField("duration", "c.duration", FilterValueType.Integer),
        new FilterField("waiting_time", "c.waiting_time", FilterValueType.Integer),
        new FilterField("answer_duration", "c.answer_duration", FilterValueType.Integer),
        new FilterField("visit_id", "c.visit_id", FilterValueType.String),
        new FilterField("order_id", "c.order_id", FilterValueType.String),
        new FilterField("marker", "c.marker", FilterValueType.String),
        new FilterField("script_id", "c.script_id", FilterValueType.Integer),
        new FilterField("static_source", "c.static_source", FilterValueType.String),
        new FilterField("comment", "c.comment", FilterValueType.String),
        new FilterField("city", "c.city", FilterValueType.String));

    public static RouteGroupBuilder MapCallHistoryApi(this RouteGroupBuilder api)
    {
        api.MapMethods("/project/calltracking/call/list", ["GET", "POST"], (HttpContext http, CallRecordStore store, RecordingLinks links) => Handle(http, async (project, body) =>
        {
            var query = ListQuery.Parse(body, Filters, "c.started_at DESC");
            var extend = new HashSet<string>(StringComparer.Ordinal);
            if (body.ValueKind == JsonValueKind.Object && body.TryGetProperty("extend", out var ext) && ext.ValueKind != JsonValueKind.Null)
            {
                if (ext.ValueKind != JsonValueKind.Array)
                {
                    throw new ApiValidationException("extend", "must be an array of \"visit\" and \"order\"");
                }

                foreach (var item in ext.EnumerateArray())
                {
                    var name = item.ValueKind == JsonValueKind.String ? item.GetString()!.Trim() : null;
                    if (name is not ("visit" or "order"))
                    {
                        throw new ApiValidationException("extend", $"'{item}' is not \"visit\" or \"order\"");
                    }

                    extend.Add(name);
                }
            }

            var (rows, total) = await store.ListAsync(project, query, http.RequestAborted);
            var visits = extend.Contains("visit")
                ? await store.VisitsAsync(project, rows.Where(r => r.VisitId is not null).Select(r => r.VisitId!).Distinct().ToList(), http.RequestAborted)
                : [];
            var data = new JsonArray([.. rows.Select(r => (JsonNode)CallViews.Call(r, r.VisitId is not null && visits.TryGetValue(r.VisitId, out var v) ? v : null, extend.Contains("visit"), extend.Contains("order"), links.For(r)))]);
            return new JsonObject { ["data"] = data, ["total"] = total, ["status"] = "success" };
        }));

        api.MapMethods("/project/calltracking/data", ["GET", "POST"], (HttpContext http, CallDashboard dashboard) => Handle(http, async (project, body) =>
            new JsonObject { ["data"] = await dashboard.BuildAsync(project, CallPeriod.Parse(body), http.RequestAborted), ["status"] = "success" }));

        api.MapMethods("/project/calltracking/call/xls/export", ["GET", "POST"], async (HttpContext http, CallExport export) =>
        {
            var project = long.Parse(http.Request.Query["project"].ToString(), CultureInfo.InvariantCulture);
            CallPeriod period;
            try
            {
                using var document = await JsonDocument.ParseAsync(http.Request.Body, cancellationToken: http.RequestAborted);
                period = CallPeriod.Parse(document.RootElement);
            }
            catch (JsonException)
            {
                return Results.Json(ApiError.Of("invalid_json", "body: the request body is not valid JSON"), ApiJson.Options, statusCode: StatusCodes.Status400BadRequest);
            }
            catch (ApiValidationException ex)
            {
                return Results.Json(ApiError.Of("invalid_request", ex.Message), ApiJson.Options, statusCode: StatusCodes.Status400BadRequest);
            }

            var name = FormattableString.Invariant($"calls-{period.From:yyyyMMdd}-{period.To:yyyyMMdd}.xls");
            http.Response.ContentType = "application/vnd.ms-excel";
            http.Response.Headers.ContentDisposition = $"attachment; filename=\"{name}\"";
            await export.WriteAsync(project, period, http.Response.Body, http.RequestAborted);
            return Results.Empty;
        });

        api.MapPost("/project/phone-call", (HttpContext http, CallRecordStore store) => Handle(http, async (project, body) =>
        {
            var call = ParseExternal(body);
            var row = await store.InsertExternalAsync(project, call, http.RequestAborted);
            return new JsonObject { ["phoneCall"] = CallViews.PhoneCall(row), ["status"] = "success" };
        }));
        return api;
    }

    private static ExternalCall ParseExternal(JsonElement body)
    {
        if (body.ValueKind != JsonValueKind.Object)
        {
            throw new ApiValidationException("body", "must be a JSON object");
        }

        string Number(string name)
        {
            var text = Text(body, name, required: true)!;
            return PhoneNumber.TryNormalize(text, true, out var number, out var error) ? number : throw new ApiValidationException(name, $"'{text}' is not a phone number: {error}");
        }

        var callee = Number("callee");
        var caller = Number("caller");
        var dateText = Text(body, "date", required: true)!;
        if (!ApiJson.TryParseDate(dateText, out var date))
        {
            throw new ApiValidationException("date", "must be a date like 2016-07-26T11:03:57+0000");
        }

        var duration = Seconds(body, "duration");
        var answer = Seconds(body, "answer_duration");
        if (answer > duration && duration > 0)
        {
            throw new ApiValidationException("answer_duration", "cannot exceed duration");
        }

        var status = Text(body, "status", required: false) ?? "ANSWER";
        if (!Enum.TryParse<CallStatus>(status, ignoreCase: false, out _))
        {
            throw new ApiValidationException("status", $"'{status}' is not one of {string.Join(", ", Enum.GetNames<CallStatus>())}");
        }

        var saveToCrm = Text(body, "save_to_crm", required: false);
        if (saveToCrm is not (null or "0" or "1"))
        {
            throw new ApiValidationException("save_to_crm", "must be \"0\" or \"1\"");
        }

        return new ExternalCall(callee, caller, date, duration, answer, status, Text(body, "marker", false), Text(body, "visit_id", false), Text(body, "order_id", false), Text(body, "comment", false));
    }

    private static string? Text(JsonElement body, string name, bool required)
    {
        if (!body.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return required ? throw new ApiValidationException(name, "is required") : null;
        }

        var text = value.ValueKind switch
        {
            JsonValueKind.String => value.GetString()!,
            JsonValueKind.Number => value.GetRawText(),
            _ => throw new ApiValidationException(name, "must be a string"),
        };
        return text.Length <= 2000 ? text : throw new ApiValidationException(name, "must be at most 2000 characters");
    }

    private static int Seconds(JsonElement body, string name)
    {
        if (!body.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return 0;
        }

        return value.ValueKind == JsonValueKind.Number && value.TryGetDouble(out var d) && d >= 0 && d < 86_400 * 7
            ? (int)Math.Round(d)
            : throw new ApiValidationException(name, "must be a number of seconds");
    }

    private static async Task<IResult> Handle(HttpContext http, Func<long, JsonElement, Task<JsonObject>> handler)
    {
        var project = long.Parse(http.Request.Query["project"].ToString(), CultureInfo.InvariantCulture);
        JsonElement body = default;
        if (http.Request.ContentLength is > 0 || http.Request.Headers.TransferEncoding.Count > 0)
        {
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
            return Results.Text((await handler(project, body)).ToJsonString(ApiJson.Options), "application/json; charset=utf-8");
        }
        catch (ApiValidationException ex)
        {
            return Results.Json(ApiError.Of("invalid_request", ex.Message), ApiJson.Options, statusCode: StatusCodes.Status400BadRequest);
        }
    }
}
