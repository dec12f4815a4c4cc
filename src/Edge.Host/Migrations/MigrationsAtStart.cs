using Calltracking.Edge.Host.Configuration;
using Microsoft.Extensions.Options;

namespace Calltracking.Edge.Host.Migrations;

/// <summary>
/// Applies migrations while the host is starting, before any hosted service (the HTTP server, SIP transports,
/// workers) starts, so nothing runs against an old schema.
/// </summary>
internal sealed class MigrationsAtStart(MigrationRunner runner, IOptions<PostgresOptions> options) : IHostedLifecycleService
{
    public async Task StartingAsync(CancellationToken cancellationToken)
    {
        if (options.Value.MigrateAtStart)
        {
            await runner.ApplyAsync(cancellationToken);
        }
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
