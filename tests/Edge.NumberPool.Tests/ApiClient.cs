using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Calltracking.Edge.Host.Projects;
using Calltracking.Edge.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Calltracking.Edge.NumberPool.Tests;

/// <summary>Calls the API of an in-process edge as a project's client.</summary>
internal sealed class ApiClient(HttpClient http, long project, string key)
{
    public long Project => project;

    public static async Task<ApiClient> ForNewProjectAsync(EdgeAppFactory app, string name)
    {
        var (id, apiKey) = await app.Services.GetRequiredService<ProjectStore>().CreateAsync(name, CancellationToken.None);
        return new ApiClient(app.CreateClient(), id, apiKey);
    }

    public async Task<(HttpStatusCode Status, JsonElement Body)> PostAsync(string path, string json)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/{path}?project={project}")
        {
            Content = new StringContent(json, Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("Api-key", key);
        using var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, JsonDocument.Parse(text).RootElement.Clone());
    }

    public async Task<JsonElement> OkAsync(string path, string json)
    {
        var (status, body) = await PostAsync(path, json);
        Assert.True(status == HttpStatusCode.OK, $"{path}: {status} {body}");
        Assert.Equal("success", body.GetProperty("status").GetString());
        return body;
    }

    public async Task<(HttpStatusCode Status, JsonElement Body)> SitePostAsync(string path, string json)
    {
        using var content = new StringContent(json, Encoding.UTF8, "application/json");
        using var response = await http.PostAsync($"{path}?project={project}", content);
        return (response.StatusCode, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone());
    }
}
