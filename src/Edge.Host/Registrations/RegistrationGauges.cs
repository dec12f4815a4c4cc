using System.Diagnostics.Metrics;
using System.Globalization;
using Calltracking.Shared.Metrics;
using Calltracking.Shared.Registrations;
using Dapper;
using Npgsql;

namespace Calltracking.Edge.Host.Registrations;

/// <summary>
/// <c>edge_sip_registrations_active</c>: the unexpired contact bindings of every <c>sip_trunk</c> account (the
/// accounts from the catalogue, their bindings from the shared store), read when a scrape finds the last reading
/// older than 10 s (see <see cref="RefreshedOnRead{T}"/>). A hosted service only so the gauge exists from start.
/// </summary>
public sealed class RegistrationGauges : IHostedService
{
    private readonly RefreshedOnRead<Reading> reading;

    public RegistrationGauges(NpgsqlDataSource dataSource, IRegistrationStore registrations, IMeterFactory meters, TimeProvider time)
    {
        reading = new RefreshedOnRead<Reading>(ct => ReadAsync(dataSource, registrations, time, ct), new Reading(0), TimeSpan.FromSeconds(10), time);
        meters.Create("Calltracking.Edge.Sip").CreateObservableGauge(
            EdgeMetricNames.SipRegistrationsActive, () => reading.Value.Bindings, description: "sip_trunk contact bindings currently registered");
    }

    private sealed record Reading(long Bindings);

    /// <summary>Counts now (tests; scrapes reload on their own).</summary>
    public async Task<long> ReadNowAsync()
    {
        await reading.ReloadAsync();
        return reading.Value.Bindings;
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private static async Task<Reading> ReadAsync(NpgsqlDataSource dataSource, IRegistrationStore registrations, TimeProvider time, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var accounts = await connection.QueryAsync<(long ProjectId, long Id, string? Postfix)>(new CommandDefinition(
            "SELECT project_id, id, sip_trunk_postfix FROM scripts WHERE redirect_type = 'sip_trunk' AND NOT is_deleted",
            cancellationToken: cancellationToken));
        var now = time.GetUtcNow();
        var counts = await Task.WhenAll(accounts.Select(async a =>
        {
            // The account's user name as the registrar names it: <project>_<postfix>, the script id without a postfix.
            var user = string.Create(CultureInfo.InvariantCulture, $"{a.ProjectId}_{a.Postfix ?? a.Id.ToString(CultureInfo.InvariantCulture)}");
            return (await registrations.GetAsync(user, now, cancellationToken)).Count;
        }));
        return new Reading(counts.Sum());
    }
}
