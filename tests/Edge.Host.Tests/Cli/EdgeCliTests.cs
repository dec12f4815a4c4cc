using Calltracking.Edge.Host.Cli;
using Calltracking.Edge.Testing;

namespace Calltracking.Edge.Host.Tests.Cli;

/// <summary>The CLI reads configuration from the environment like the service, so these tests run it in order.</summary>
[Collection(nameof(EnvironmentCollection))]
public sealed class EdgeCliTests(EdgeStoresFixture stores) : IClassFixture<EdgeStoresFixture>
{
    private async Task<(int Exit, string Output, string Error)> RunAsync(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        Environment.SetEnvironmentVariable("Postgres__ConnectionString", stores.PostgresConnectionString);
        Environment.SetEnvironmentVariable("Redis__Configuration", stores.Redis.Configuration);
        try
        {
            var exit = await EdgeCli.RunAsync(args, output, error);
            return (exit, output.ToString(), error.ToString());
        }
        finally
        {
            Environment.SetEnvironmentVariable("Postgres__ConnectionString", null);
            Environment.SetEnvironmentVariable("Redis__Configuration", null);
        }
    }

    [Fact]
    public async Task Project_create_prints_id_and_a_key_that_key_issue_complements()
    {
        var (exit, output, _) = await RunAsync("project", "create", "--name", "Shop");
        Assert.Equal(0, exit);
        var id = output.Split('\n').Single(l => l.StartsWith("project_id=", StringComparison.Ordinal))["project_id=".Length..].Trim();
        Assert.Matches("^api_key=[0-9a-f]{64}$", output.Split('\n').Single(l => l.StartsWith("api_key=", StringComparison.Ordinal)).Trim());

        var listed = await RunAsync("project", "list");
        Assert.Contains($"{id}\tShop\tkeys=1", listed.Output, StringComparison.Ordinal);

        var issued = await RunAsync("key", "issue", "--project", id);
        Assert.Equal(0, issued.Exit);
        Assert.Contains($"{id}\tShop\tkeys=2", (await RunAsync("project", "list")).Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Simulate_prints_accuracy_per_pool_size_and_writes_the_chart()
    {
        var chart = Path.Combine(Path.GetTempPath(), "edge-sim-" + Guid.NewGuid().ToString("N"));
        var (exit, output, error) = await RunAsync("simulate", "--minutes", "10", "--arrivals-per-minute", "10", "--pools", "5,40", "--chart", chart);
        Assert.True(exit == 0, error);
        var rows = output.Split('\n').Where(l => l.StartsWith("5\t", StringComparison.Ordinal) || l.StartsWith("40\t", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, rows.Count);
        Assert.Matches(@"^visitors=\d+ calls=\d+ peak_concurrent_visitors=\d+$", output.Split('\n').Single(l => l.StartsWith("visitors=", StringComparison.Ordinal)).Trim());
        Assert.True(new FileInfo(chart + ".png").Length > 1000);
        System.Xml.Linq.XDocument.Load(chart + ".svg");
        File.Delete(chart + ".png");
        File.Delete(chart + ".svg");
    }

    [Theory]
    [InlineData("--session", "gamma:3", "--session")]
    [InlineData("--call-delay", "exp:-1", "--call-delay")]
    [InlineData("--call-share", "1.5", "--call-share")]
    [InlineData("--pools", "10,zero", "--pools")]
    [InlineData("--heartbeat-seconds", "500", "--heartbeat-seconds")]
    [InlineData("--chart", "/no-such-folder-for-the-chart/accuracy", "--chart: the folder /no-such-folder-for-the-chart does not exist")]
    public async Task Simulate_refuses_bad_options_naming_them(string option, string value, string named)
    {
        var (exit, _, error) = await RunAsync("simulate", option, value);
        Assert.Equal(2, exit);
        Assert.Contains(named, error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--help")]
    [InlineData("-h")]
    public async Task Help_is_answered_by_the_command_line_not_by_starting_the_service(string option)
    {
        Assert.True(EdgeCli.IsCommand([option]));
        Assert.False(EdgeCli.IsCommand(["--Http:Urls=http://127.0.0.1:8081"]));
        var (exit, output, _) = await RunAsync(option);
        Assert.Equal(0, exit);
        Assert.Contains("run without a command to start the service", output, StringComparison.Ordinal);
        Assert.Contains("simulate", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_mistyped_command_is_refused_by_name_and_configuration_still_starts_the_service()
    {
        Assert.True(EdgeCli.IsCommand(["migrte"]));
        var (exit, _, error) = await RunAsync("migrte");
        Assert.NotEqual(0, exit);
        Assert.Contains("migrte", error, StringComparison.Ordinal);
        foreach (var configuration in new[] { "--Http:Urls=http://127.0.0.1:8081", "/Http:Urls=http://127.0.0.1:8081", "Http:Urls=http://127.0.0.1:8081", "--Http:Urls" })
        {
            Assert.False(EdgeCli.IsCommand([configuration, "http://127.0.0.1:8081"]));
        }
    }

    [Fact]
    public async Task Demo_seed_for_a_project_that_does_not_exist_names_it()
    {
        var (exit, _, error) = await RunAsync("demo", "seed", "--project", "987654321");
        Assert.Equal(3, exit);
        Assert.Contains("--project: project 987654321 does not exist", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Demo_seed_creates_one_script_with_three_numbers_once()
    {
        var (_, created, _) = await RunAsync("project", "create", "--name", "Demo");
        var id = created.Split('\n').Single(l => l.StartsWith("project_id=", StringComparison.Ordinal))["project_id=".Length..].Trim();

        var first = await RunAsync("demo", "seed", "--project", id);
        var second = await RunAsync("demo", "seed", "--project", id);

        Assert.Equal(0, first.Exit);
        Assert.Contains("74990000101, 74990000102, 74990000103", first.Output, StringComparison.Ordinal);
        Assert.Equal(first.Output, second.Output);
    }

    [Fact]
    public async Task Migrate_is_idempotent()
    {
        var (exit, output, _) = await RunAsync("migrate");
        Assert.Equal(0, exit);
        Assert.Contains("up to date", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Key_issue_for_an_unknown_project_names_the_option()
    {
        var (exit, _, error) = await RunAsync("key", "issue", "--project", "987654");
        Assert.NotEqual(0, exit);
        Assert.Contains("--project", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_blank_project_name_is_refused()
    {
        var (exit, _, error) = await RunAsync("project", "create", "--name", "  ");
        Assert.NotEqual(0, exit);
        Assert.Contains("--name", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_missing_connection_string_is_named()
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exit = await EdgeCli.RunAsync(["migrate"], output, error);
        Assert.NotEqual(0, exit);
        Assert.Contains("Postgres:ConnectionString", error.ToString(), StringComparison.Ordinal);
    }
}

[CollectionDefinition(nameof(EnvironmentCollection), DisableParallelization = true)]
public sealed class EnvironmentCollection;
