using Calltracking.Edge.Host;
using Calltracking.Edge.Host.Cli;
using Calltracking.Edge.Host.Configuration;

if (EdgeCli.IsCommand(args))
{
    return await EdgeCli.RunAsync(args);
}

var builder = WebApplication.CreateBuilder(args);
var urls = builder.Configuration.GetSection(HttpOptions.Section)[nameof(HttpOptions.Urls)];
builder.WebHost.UseUrls((string.IsNullOrWhiteSpace(urls) ? new HttpOptions().Urls : urls).Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
builder.Services.AddEdge(builder.Configuration);

var app = builder.Build();
app.MapEdge();
await app.RunAsync();
return 0;

public partial class Program;
