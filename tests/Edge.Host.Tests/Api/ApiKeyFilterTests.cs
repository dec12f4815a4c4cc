using System.Net;
using System.Text.Json;
using Calltracking.Edge.Host.Projects;
using Calltracking.Edge.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Calltracking.Edge.Host.Tests.Api;

public sealed class ApiKeyFilterTests(EdgeStoresFixture stores) : IClassFixture<EdgeStoresFixture>, IDisposable
{
    private readonly EdgeAppFactory app = new(stores);

    public void Dispose() => app.Dispose();

    private async Task<(long Id, string Key)> NewProjectAsync(string name) =>
        await app.Services.GetRequiredService<ProjectStore>().CreateAsync(name, CancellationToken.None);

    private async Task<(HttpStatusCode Status, JsonElement Body)> GetInfoAsync(string? project, string? key)
    {
        using var client = app.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, project is null ? "/api/v1/project/info" : $"/api/v1/project/info?project={project}");
        if (key is not null)
        {
            request.Headers.Add("Api-key", key);
        }

        using var response = await client.SendAsync(request);
        return (response.StatusCode, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone());
    }

    [Fact]
    public async Task The_key_of_the_project_is_accepted()
    {
        var (id, key) = await NewProjectAsync("accepted");
        var (status, body) = await GetInfoAsync(id.ToString(), key);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(id, body.GetProperty("data").GetProperty("id").GetInt64());
    }

    [Fact]
    public async Task A_key_of_another_project_is_forbidden()
    {
        var (first, _) = await NewProjectAsync("first");
        var (_, secondKey) = await NewProjectAsync("second");
        var (status, body) = await GetInfoAsync(first.ToString(), secondKey);
        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Equal("error", body.GetProperty("status").GetString());
        Assert.Equal("access_denied", body.GetProperty("error").GetString());
    }

    [Theory]
    [InlineData(null, "k", HttpStatusCode.BadRequest, "project")]
    [InlineData("abc", "k", HttpStatusCode.BadRequest, "project")]
    [InlineData("-5", "k", HttpStatusCode.BadRequest, "project")]
    [InlineData("1", null, HttpStatusCode.Unauthorized, "Api-key")]
    [InlineData("1", "not-a-key", HttpStatusCode.Unauthorized, "Api-key")]
    public async Task Bad_credentials_get_a_json_error_naming_the_field(string? project, string? key, HttpStatusCode expected, string field)
    {
        var (status, body) = await GetInfoAsync(project, key);
        Assert.Equal(expected, status);
        Assert.Equal("error", body.GetProperty("status").GetString());
        Assert.Contains(field, body.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Keys_are_stored_hashed()
    {
        var (id, key) = await NewProjectAsync("hashed");
        await using var connection = await stores.DataSource.OpenConnectionAsync();
        await using var command = new Npgsql.NpgsqlCommand("SELECT key_hash FROM api_keys WHERE project_id = @p", connection);
        command.Parameters.AddWithValue("p", id);
        var stored = (byte[])(await command.ExecuteScalarAsync())!;
        Assert.Equal(ApiKey.Hash(key), stored);
        Assert.DoesNotContain(key, Convert.ToHexStringLower(stored), StringComparison.Ordinal);
    }
}
