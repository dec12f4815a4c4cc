using System.Text.Json.Nodes;
using Calltracking.Edge.NumberPool.Leases;
using Calltracking.Edge.NumberPool.Routing;
using Calltracking.Shared.Filters;

namespace Calltracking.Edge.NumberPool.Catalogue;

/// <summary>The catalogue's operations: PostgreSQL is the truth, Redis pools follow every change, the route cache is dropped.</summary>
public sealed class CatalogueService(CatalogueStore store, LeaseStore leases, RouteCache routes, TimeProvider time)
{
    public async Task<JsonObject> CreateScriptAsync(long project, ScriptInput input, CancellationToken cancellationToken)
    {
        var script = await store.CreateScriptAsync(project, input, cancellationToken);
        await SyncAsync(project, script.Id, cancellationToken);
        return await ViewAsync(script);
    }

    public async Task<IReadOnlyList<JsonObject>> ListScriptsAsync(long project, bool deleted, CancellationToken cancellationToken)
    {
        return await ViewsAsync(await store.ListScriptsAsync(project, deleted, cancellationToken));
    }

    public async Task<bool> UpdateScriptAsync(long project, ScriptInput input, CancellationToken cancellationToken)
    {
        if (!await store.UpdateScriptAsync(project, input, cancellationToken))
        {
            return false;
        }

        await SyncAsync(project, input.Id!.Value, cancellationToken);
        return true;
    }

    public async Task<bool> DeleteScriptAsync(long project, long scriptId, CancellationToken cancellationToken)
    {
        if (!await store.DeleteScriptAsync(project, scriptId, cancellationToken))
        {
            return false;
        }

        await SyncAsync(project, scriptId, cancellationToken);
        return true;
    }

    public async Task<IReadOnlyList<JsonObject>> CreatePhonesAsync(long project, IReadOnlyList<string> numbers, CancellationToken cancellationToken)
    {
        var rows = await store.CreatePhonesAsync(project, numbers, cancellationToken);
        routes.Clear();
        return rows.Select(r => CatalogueViews.Phone(r, null)).ToList();
    }

    public async Task<(IReadOnlyList<JsonObject> Rows, int Total)> ListPhonesAsync(long project, ListQuery query, CancellationToken cancellationToken)
    {
        var (rows, total) = await store.ListPhonesAsync(project, query, cancellationToken);
        var scripts = new Dictionary<long, JsonObject?>();
        var views = new List<JsonObject>(rows.Count);
        foreach (var row in rows)
        {
            JsonObject? script = null;
            if (row.ScriptId is { } id)
            {
                if (!scripts.TryGetValue(id, out script))
                {
                    script = await store.GetScriptAsync(project, id, cancellationToken) is { } s ? await ViewAsync(s) : null;
                    scripts[id] = script;
                }
            }

            views.Add(CatalogueViews.Phone(row, script?.DeepClone().AsObject()));
        }

        return (views, total);
    }

    public async Task<bool> AttachPhoneAsync(long project, long phoneId, long scriptId, DateTimeOffset? lastUse, CancellationToken cancellationToken)
    {
        var (found, previous) = await store.AttachPhoneAsync(project, phoneId, scriptId, lastUse, cancellationToken);
        if (!found)
        {
            return false;
        }

        await SyncAsync(project, scriptId, cancellationToken);
        if (previous is { } old && old != scriptId)
        {
            await SyncAsync(project, old, cancellationToken);
        }

        return true;
    }

    public async Task DeletePhonesAsync(long project, IReadOnlyList<long> ids, CancellationToken cancellationToken)
    {
        foreach (var script in await store.DeletePhonesAsync(project, ids, cancellationToken))
        {
            await SyncAsync(project, script, cancellationToken);
        }

        routes.Clear();
    }

    private async Task SyncAsync(long project, long scriptId, CancellationToken cancellationToken)
    {
        routes.Clear();
        var script = await store.GetScriptAsync(project, scriptId, cancellationToken);
        var numbers = script is { IsDeleted: false } ? await store.ScriptNumbersAsync(project, scriptId, cancellationToken) : [];
        await leases.SyncPoolAsync(project, scriptId, numbers);
    }

    private async Task<JsonObject> ViewAsync(ScriptRecord script) => (await ViewsAsync([script]))[0];

    /// <summary>Scripts in the API's shape, with the accuracy of the dynamic ones read for all of them at once.</summary>
    private async Task<IReadOnlyList<JsonObject>> ViewsAsync(IReadOnlyList<ScriptRecord> scripts)
    {
        var dynamicIds = scripts.Where(s => s.CalltrackingType == "dynamic").Select(s => s.Id).ToList();
        var attribution = dynamicIds.Count == 0 ? [] : await store.RecentAttributionAsync(dynamicIds, time.GetUtcNow(), CancellationToken.None);
        var views = new List<JsonObject>(scripts.Count);
        foreach (var script in scripts)
        {
            var stats = CatalogueViews.ScriptStats.None;
            if (script.CalltrackingType == "dynamic")
            {
                var (calls, exclusive) = attribution.GetValueOrDefault(script.Id);
                long? peak;
                try
                {
                    peak = await leases.PeakDemandAsync(script.ProjectId, script.Id);
                }
                catch (StackExchange.Redis.RedisException)
                {
                    // The demand record lives in Redis; without it the script still lists, with the count unknown.
                    peak = null;
                }

                stats = new CatalogueViews.ScriptStats(calls, exclusive, peak);
            }

            views.Add(CatalogueViews.Script(script, stats));
        }

        return views;
    }
}
