using System.CommandLine;
using System.Globalization;
using Calltracking.Edge.Host.Migrations;
using Calltracking.Edge.Host.Projects;
using Microsoft.Extensions.Options;

namespace Calltracking.Edge.Host.Cli;

/// <summary>
/// Operator commands on the same executable: <c>migrate</c>, <c>project create|list</c>, <c>key issue</c>.
/// They read the same configuration (appsettings, environment) as the service.
/// </summary>
public static class EdgeCli
{
    // The help and version options answer here too: without them the executable would start the service, which is
    // what running it without a command does (any other arguments are configuration, e.g. --Http:Urls=...).
    private static readonly string[] Commands = ["migrate", "project", "key", "demo", "simulate", "--help", "-h", "-?", "--version"];

    /// <summary>
    /// True when the arguments are for the command line, not the service: a known command or help, or a first word that
    /// is not configuration (<c>--key=value</c>, <c>/key=value</c>, <c>key=value</c>), so a mistyped command is refused
    /// by name instead of starting the service.
    /// </summary>
    public static bool IsCommand(string[] args) =>
        args.Length > 0 && (Commands.Contains(args[0], StringComparer.Ordinal) || (args[0].Length > 0 && args[0][0] is not ('-' or '/') && !args[0].Contains('=', StringComparison.Ordinal)));

    public static async Task<int> RunAsync(string[] args, TextWriter? output = null, TextWriter? error = null)
    {
        output ??= Console.Out;
        error ??= Console.Error;
        var root = new RootCommand("Calltracking Edge: run without a command to start the service.");

        var migrate = new Command("migrate", "Apply pending PostgreSQL schema migrations and exit.");
        migrate.SetAction((_, token) => WithServicesAsync(error, async services =>
        {
            var applied = await services.GetRequiredService<MigrationRunner>().ApplyAsync(token);
            await output.WriteLineAsync(applied.Count == 0
                ? "schema is up to date"
                : $"applied {applied.Count} migration(s): {string.Join(", ", applied.Select(v => v.ToString("D4", CultureInfo.InvariantCulture)))}");
            return 0;
        }));
        root.Subcommands.Add(migrate);

        var project = new Command("project", "Manage projects.");
        var nameOption = new Option<string>("--name") { Description = "Project name.", Required = true };
        var create = new Command("create", "Create a project; prints its id and a new API key.") { nameOption };
        create.SetAction((parse, token) => WithServicesAsync(error, async services =>
        {
            var name = parse.GetValue(nameOption) ?? string.Empty;
            try
            {
                ProjectStore.ValidateName(name);
            }
            catch (ArgumentException ex)
            {
                await error.WriteLineAsync($"--name: {ex.Message}");
                return 2;
            }

            await services.GetRequiredService<MigrationRunner>().ApplyAsync(token);
            var (id, key) = await services.GetRequiredService<ProjectStore>().CreateAsync(name, token);
            await output.WriteLineAsync($"project_id={id}");
            await output.WriteLineAsync($"api_key={key}");
            return 0;
        }));
        var list = new Command("list", "List projects.");
        list.SetAction((_, token) => WithServicesAsync(error, async services =>
        {
            foreach (var p in await services.GetRequiredService<ProjectStore>().ListAsync(token))
            {
                await output.WriteLineAsync(FormattableString.Invariant($"{p.Id}\t{p.Name}\tkeys={p.ActiveKeys}\tcreated={p.CreatedAt:yyyy-MM-ddTHH:mm:ssZ}"));
            }

            return 0;
        }));
        project.Subcommands.Add(create);
        project.Subcommands.Add(list);
        root.Subcommands.Add(project);

        var key = new Command("key", "Manage API keys.");
        var projectOption = new Option<long>("--project") { Description = "Project id.", Required = true };
        var issue = new Command("issue", "Issue a new API key for a project.") { projectOption };
        issue.SetAction((parse, token) => WithServicesAsync(error, async services =>
        {
            var projectId = parse.GetValue(projectOption);
            var issued = await services.GetRequiredService<ProjectStore>().IssueKeyAsync(projectId, token);
            if (issued is null)
            {
                await error.WriteLineAsync($"--project: project {projectId} does not exist");
                return 3;
            }

            await output.WriteLineAsync($"api_key={issued}");
            return 0;
        }));
        key.Subcommands.Add(issue);
        root.Subcommands.Add(key);

        var demo = new Command("demo", "Demo data for trying the edge locally.");
        var demoProject = new Option<long>("--project") { Description = "Project id.", Required = true };
        var target = new Option<string>("--target") { Description = "Where demo calls go (a SIP URI).", DefaultValueFactory = _ => "sip:demo@127.0.0.1:5070" };
        var seed = new Command("seed", "Create a demo script with three pool numbers (once per project).") { demoProject, target };
        seed.SetAction((parse, token) => WithServicesAsync(error, async services =>
        {
            var projectId = parse.GetValue(demoProject);
            // The same check the site endpoints make before they write for a project.
            if (!await new NumberPool.Visits.VisitStore(services.GetRequiredService<Npgsql.NpgsqlDataSource>()).ProjectExistsAsync(projectId, token))
            {
                await error.WriteLineAsync($"--project: project {projectId} does not exist");
                return 3;
            }

            var catalogue = services.GetRequiredService<NumberPool.Catalogue.CatalogueStore>();
            var existing = await catalogue.ListScriptsAsync(projectId, false, token);
            if (existing.Count == 0)
            {
                var body = System.Text.Json.JsonSerializer.Serialize(new
                {
                    name = "Demo script",
                    options = new
                    {
                        css_selector = new[] { "#phone" },
                        redirect = new { type = "sip", value = parse.GetValue(target) },
                        segments = Array.Empty<object>(),
                    },
                    replaceable_numbers = new[] { "74990000101", "74990000102", "74990000103" },
                });
                using var document = System.Text.Json.JsonDocument.Parse(body);
                await catalogue.CreateScriptAsync(projectId, NumberPool.Catalogue.ScriptInput.Parse(document.RootElement, update: false), token);
                await catalogue.SetSettingsAsync(projectId, """{"custom_headers": "x-demo-city={city}, x-demo-domain={domain}"}""", token);
            }

            foreach (var script in await catalogue.ListScriptsAsync(projectId, false, token))
            {
                var numbers = await catalogue.ScriptNumbersAsync(projectId, script.Id, token);
                await output.WriteLineAsync(FormattableString.Invariant($"script {script.Id} '{script.Name}' → {script.RedirectValue}; numbers {string.Join(", ", numbers)}"));
            }

            return 0;
        }));
        demo.Subcommands.Add(seed);
        root.Subcommands.Add(demo);

        root.Subcommands.Add(SimulateCommand(output, error));

        var configuration = new InvocationConfiguration { Output = output, Error = error };
        return await root.Parse(args).InvokeAsync(configuration);
    }

    /// <summary><c>simulate</c>: the pool simulator against the configured Redis (throwaway keys), with the accuracy chart.</summary>
    private static Command SimulateCommand(TextWriter output, TextWriter error)
    {
        var defaults = new NumberPool.Simulation.SimulationSettings();
        var arrivals = new Option<double>("--arrivals-per-minute") { Description = "Visitors arriving per minute (Poisson).", DefaultValueFactory = _ => defaults.ArrivalsPerMinute };
        var session = new Option<string>("--session") { Description = "Session length in minutes: exp:MEAN, uniform:MIN-MAX, fixed:X or lognormal:MEDIAN:SIGMA.", DefaultValueFactory = _ => defaults.Session.Text };
        var callDelay = new Option<string>("--call-delay") { Description = "Minutes from arrival to the call, same forms as --session.", DefaultValueFactory = _ => defaults.CallDelay.Text };
        var callShare = new Option<double>("--call-share") { Description = "Share of visitors who call (0..1).", DefaultValueFactory = _ => defaults.CallShare };
        var minutes = new Option<int>("--minutes") { Description = "Simulated minutes of traffic.", DefaultValueFactory = _ => defaults.Minutes };
        var grace = new Option<int>("--grace-seconds") { Description = "Lease grace after the last heartbeat.", DefaultValueFactory = _ => defaults.GraceSeconds };
        var heartbeat = new Option<int>("--heartbeat-seconds") { Description = "Heartbeat interval of an open page.", DefaultValueFactory = _ => defaults.HeartbeatSeconds };
        var late = new Option<int>("--late-window-minutes") { Description = "Late-call window.", DefaultValueFactory = _ => defaults.LateWindowMinutes };
        var seedOption = new Option<int>("--seed") { Description = "Random seed (the same seed replays the same trace).", DefaultValueFactory = _ => defaults.Seed };
        var pools = new Option<string?>("--pools") { Description = "Pool sizes, comma-separated (default: 25 %–150 % of the trace's peak concurrent visitors)." };
        var chart = new Option<string?>("--chart") { Description = "Write the accuracy-vs-pool-size chart to PATH.svg and PATH.png." };
        var command = new Command("simulate", "Replay synthetic visitor traffic against the Redis-backed pool and a naive policy; print accuracy per pool size.")
        {
            arrivals, session, callDelay, callShare, minutes, grace, heartbeat, late, seedOption, pools, chart,
        };
        command.SetAction((parse, token) => WithServicesAsync(error, async services =>
        {
            var failures = new List<string>();
            NumberPool.Simulation.Distribution Distribution(Option<string> option)
            {
                if (NumberPool.Simulation.Distribution.TryParse(parse.GetValue(option)!, out var d, out var message))
                {
                    return d;
                }

                failures.Add($"{option.Name}: {message}");
                return defaults.Session;
            }

            var settings = new NumberPool.Simulation.SimulationSettings
            {
                ArrivalsPerMinute = parse.GetValue(arrivals),
                Session = Distribution(session),
                CallDelay = Distribution(callDelay),
                CallShare = parse.GetValue(callShare),
                Minutes = parse.GetValue(minutes),
                GraceSeconds = parse.GetValue(grace),
                HeartbeatSeconds = parse.GetValue(heartbeat),
                LateWindowMinutes = parse.GetValue(late),
                Seed = parse.GetValue(seedOption),
            };
            failures.AddRange(settings.Validate());
            List<int>? sizes = null;
            if (parse.GetValue(pools) is { Length: > 0 } list)
            {
                sizes = [];
                foreach (var item in list.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
                {
                    if (int.TryParse(item, NumberStyles.None, CultureInfo.InvariantCulture, out var size) && size is > 0 and <= 100_000)
                    {
                        sizes.Add(size);
                    }
                    else
                    {
                        failures.Add($"--pools: '{item}' is not a pool size between 1 and 100000");
                    }
                }
            }

            // The chart's folder is checked before the run, which takes minutes, rather than when the chart is written.
            var chartPath = parse.GetValue(chart) is { Length: > 0 } given ? Path.GetFullPath(given) : null;
            if (chartPath is not null && !Directory.Exists(Path.GetDirectoryName(chartPath)))
            {
                failures.Add($"--chart: the folder {Path.GetDirectoryName(chartPath)} does not exist");
            }

            if (failures.Count > 0)
            {
                foreach (var failure in failures)
                {
                    await error.WriteLineAsync(failure);
                }

                return 2;
            }

            var simulator = new NumberPool.Simulation.PoolSimulator(services.GetRequiredService<StackExchange.Redis.IConnectionMultiplexer>());
            await output.WriteLineAsync("pool\tours_all\tours_in_window\tnaive_all\tnaive_in_window\tours_shared\tnaive_shared");
            var report = await simulator.RunAsync(settings, sizes, r => output.WriteLine(FormattableString.Invariant(
                $"{r.PoolSize}\t{r.Ours.Accuracy:P2}\t{r.Ours.AccuracyWithinWindow:P2}\t{r.Naive.Accuracy:P2}\t{r.Naive.AccuracyWithinWindow:P2}\t{r.Ours.SharedHandOuts}\t{r.Naive.SharedHandOuts}")), token);
            await output.WriteLineAsync(FormattableString.Invariant($"visitors={report.Visitors} calls={report.Calls} peak_concurrent_visitors={report.PeakConcurrentVisitors}"));
            if (chartPath is not null)
            {
                try
                {
                    await WriteWholeAsync(chartPath + ".svg", System.Text.Encoding.UTF8.GetBytes(NumberPool.Simulation.AccuracyChart.Svg(report)), token);
                    await WriteWholeAsync(chartPath + ".png", NumberPool.Simulation.AccuracyChart.Png(report), token);
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    await error.WriteLineAsync($"--chart: {ex.Message}");
                    return 1;
                }

                await output.WriteLineAsync($"chart: {chartPath}.svg, {chartPath}.png");
            }

            return 0;
        }));
        return command;
    }

    /// <summary>Writes a file beside its final name and renames it into place, so a failed write leaves no half of it.</summary>
    private static async Task WriteWholeAsync(string path, byte[] bytes, CancellationToken token)
    {
        var partial = path + ".partial";
        try
        {
            await File.WriteAllBytesAsync(partial, bytes, token);
            File.Move(partial, path, overwrite: true);
        }
        finally
        {
            File.Delete(partial);
        }
    }

    private static async Task<int> WithServicesAsync(TextWriter error, Func<IServiceProvider, Task<int>> action)
    {
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = [] });
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Services.AddEdgeCore(builder.Configuration);
        builder.Services.AddSingleton<NumberPool.Catalogue.CatalogueStore>();
        using var host = builder.Build();
        try
        {
            // Options are validated here as the service does at start, so a bad setting is named, not a stack trace.
            _ = host.Services.GetRequiredService<IOptions<Configuration.PostgresOptions>>().Value;
            return await action(host.Services);
        }
        catch (OptionsValidationException ex)
        {
            await error.WriteLineAsync($"configuration error: {string.Join("; ", ex.Failures)}");
            return 2;
        }
        catch (Npgsql.NpgsqlException ex)
        {
            await error.WriteLineAsync($"PostgreSQL error: {ex.Message}");
            return 4;
        }
    }
}
