using Calltracking.Edge.Host;
using Calltracking.Edge.Host.Cli;
using Calltracking.Edge.Host.Configuration;

if (EdgeCli.IsCommand(args))
{
    return await EdgeCli.RunAsync(args);
}

// Configuration is read once at start and validated (options are not reloaded), so no file watcher runs: the default
// one watches the whole content root, which is the working directory and may hold the spool, the recordings or a
// local database, and woke on every write there (hundreds of times a second under load).
var builder = WebApplication.CreateBuilder([.. args, "--hostBuilder:reloadConfigOnChange=false"]);
var urls = builder.Configuration.GetSection(HttpOptions.Section)[nameof(HttpOptions.Urls)];
builder.WebHost.UseUrls((string.IsNullOrWhiteSpace(urls) ? new HttpOptions().Urls : urls).Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
builder.Services.AddEdge(builder.Configuration);

var app = builder.Build();
app.MapEdge();
await app.RunAsync();
return 0;

public partial class Program;
