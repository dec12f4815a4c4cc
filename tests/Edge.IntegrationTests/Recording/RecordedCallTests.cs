using System.Globalization;
using System.Net;
using Calltracking.Edge.IntegrationTests.Routing;
using Calltracking.Edge.Recording.Recordings;
using Calltracking.Edge.Sip.Media;
using Calltracking.Edge.Testing;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Calltracking.Edge.IntegrationTests.Recording;

/// <summary>
/// Recording end to end: SIPp as the carrier plays Debian's <c>g711a.pcap</c> into a call, SIPp as the PBX answers
/// and echoes the audio back, the edge relays both directions, captures them and the worker makes the MP3, which
/// <c>lame --decode</c> reads back.
/// </summary>
[Collection(EdgeMetricsCollection.Name)]
public sealed class RecordedCallTests(EdgeStoresFixture stores) : IClassFixture<EdgeStoresFixture>
{
    private const string Pcap = "/usr/share/sip-tester/g711a.pcap";
    private static readonly TimeSpan SippWait = TimeSpan.FromSeconds(60);
    private static int numberSeed = 5000;

    private static string NewNumber() => "7495" + Interlocked.Increment(ref numberSeed).ToString("D7", CultureInfo.InvariantCulture);

    private static async Task<RoutingEdge> EdgeWithScriptAsync(EdgeStoresFixture stores, int pbxPort, string number)
    {
        var edge = await RoutingEdge.StartAsync(stores, "127.0.0.1/32", null, pbxPort);
        await edge.ApiAsync("project/calltracking/script/create", string.Concat("{\"name\": \"ads\", \"options\": {\"redirect\": {\"type\": \"phone\", \"value\": \"74990000000\"}}, \"replaceable_numbers\": [\"", number, "\"]}"));
        return edge;
    }

    private static async Task AssertSucceededAsync(Sipp sipp, string who)
    {
        var (exit, errors) = await sipp.WaitAsync(SippWait);
        Assert.True(exit == 0, $"{who} SIPp failed ({exit}): {errors}");
    }

    [Fact]
    public async Task A_recorded_call_becomes_an_mp3_as_long_as_the_call_that_sounds_like_what_was_played()
    {
        Assert.True(File.Exists(Pcap), $"{Pcap} (Debian sip-tester) is required");
        var pbxPort = FreePort.Udp();
        var number = NewNumber();
        using var edge = await EdgeWithScriptAsync(stores, pbxPort, number);
        var relay = edge.App.Services.GetRequiredService<MediaRelay>().Options;

        // The PBX must be offered the edge's relay port, not the carrier's media port.
        var carrierMedia = FreePort.Udp();
        using var pbx = Sipp.Start(Scenarios.PbxAnswering(new Dictionary<string, string> { [Scenarios.Body] = "m=audio [0-9]+ RTP" }), null, port: pbxPort,
            extraArgs: ["-rtp_echo", "-mp", FreePort.Udp().ToString(CultureInfo.InvariantCulture)]);
        using var carrier = Sipp.Start(Scenarios.CarrierCallPlaying(Pcap, 9000), edge.SipAddress, keys: new Dictionary<string, string> { ["number"] = number, ["caller"] = "79161234567" },
            extraArgs: ["-mp", carrierMedia.ToString(CultureInfo.InvariantCulture)]);
        await AssertSucceededAsync(carrier, "carrier");
        await AssertSucceededAsync(pbx, "pbx");

        var call = await edge.CallAsync(c => c.GetProperty("status").GetString() == "ANSWER" && c.GetProperty("link").ValueKind == System.Text.Json.JsonValueKind.String);
        var id = Guid.Parse(call.GetProperty("id").GetString()!);

        // The file by API key (GET and POST), as audio/mpeg.
        var mp3 = await DownloadAsync(edge, HttpMethod.Get, $"/api/v1/project/calltracking/call/{id}/file?project={edge.Project}", edge.Key);
        Assert.Equal(mp3, await DownloadAsync(edge, HttpMethod.Post, $"/api/v1/project/calltracking/call/{id}/file?project={edge.Project}", edge.Key));

        // Its length is the call's talk time, within 0.2 s.
        var work = Directory.CreateTempSubdirectory("edge-recording-test-");
        var mp3Path = Path.Combine(work.FullName, "call.mp3");
        var wavPath = Path.Combine(work.FullName, "call.wav");
        await File.WriteAllBytesAsync(mp3Path, mp3);
        var lame = ExternalTool.Require("lame", "lame", "/usr/bin/lame");
        ExternalTool.Run(lame, ["--quiet", "--decode", mp3Path, wavPath], TimeSpan.FromSeconds(30));
        var (pcm, rate) = AudioSignal.FromWav(wavPath);
        Assert.Equal(8000, rate);
        await using var data = NpgsqlDataSource.Create(stores.PostgresConnectionString);
        await using var connection = await data.OpenConnectionAsync();
        var talk = await connection.ExecuteScalarAsync<double>("SELECT extract(epoch FROM ended_at - answered_at)::float8 FROM calls WHERE id = @id", new { id });
        Assert.True(Math.Abs((pcm.Length / 8000.0) - talk) <= 0.2, $"MP3 is {pcm.Length / 8000.0:F3} s, the call talked {talk:F3} s");

        // Its content is the played audio: the loudness envelope of the source shows up in the recording.
        var correlation = AudioSignal.BestCorrelation(AudioSignal.Envelope(AudioSignal.FromPcap(Pcap)), AudioSignal.Envelope(pcm));
        Assert.True(correlation > 0.8, $"the recording does not follow the played audio (envelope correlation {correlation:F3})");

        // The capture is gone once the MP3 is durable and the record says so.
        var options = edge.App.Services.GetRequiredService<IOptions<RecordingOptions>>().Value;
        Assert.Empty(Directory.EnumerateFiles(options.CaptureDirectory, "*.cap*"));
        Assert.InRange(relay.PortMin, 1024, 65535);

        // The signed link plays without the key; a forged or expired one does not.
        var link = new Uri(call.GetProperty("link").GetString()!);
        Assert.Equal(mp3, await DownloadAsync(edge, HttpMethod.Get, link.PathAndQuery, key: null));
        var forged = link.PathAndQuery[..^4] + (link.PathAndQuery[^4..] == "AAAA" ? "BBBB" : "AAAA");
        Assert.Equal(HttpStatusCode.Forbidden, await StatusAsync(edge, forged));
        var links = edge.App.Services.GetRequiredService<RecordingLinks>();
        var expired = $"/calltracking/call/{id}/file/{links.Token(id, DateTimeOffset.UtcNow.AddMinutes(-1).ToUnixTimeSeconds())}";
        Assert.Equal(HttpStatusCode.Gone, await StatusAsync(edge, expired));
        Assert.Equal(HttpStatusCode.Forbidden, await StatusAsync(edge, $"/calltracking/call/{Guid.NewGuid()}/file/{links.Token(id, DateTimeOffset.UtcNow.AddHours(1).ToUnixTimeSeconds())}"));

        // A project that forbids listening by link: the link is the API's URL and the signed one is refused.
        await edge.ApiAsync("project/calltracking/settings", """{"forbid_listening_by_link": true}""");
        var listed = await edge.CallAsync(_ => true);
        Assert.StartsWith("http://127.0.0.1:8080/api/v1/project/calltracking/call/", listed.GetProperty("link").GetString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Forbidden, await StatusAsync(edge, link.PathAndQuery));
        work.Delete(recursive: true);
    }

    [Fact]
    public async Task With_the_no_record_switch_media_flows_end_to_end_and_nothing_is_recorded()
    {
        var pbxPort = FreePort.Udp();
        var number = NewNumber();
        using var edge = await EdgeWithScriptAsync(stores, pbxPort, number);
        await edge.ApiAsync("project/calltracking/settings", """{"no_record": true}""");
        var carrierMedia = FreePort.Udp();

        // The PBX is offered the carrier's own media port: the SDP went through untouched.
        using var pbx = Sipp.Start(Scenarios.PbxAnswering(new Dictionary<string, string> { [Scenarios.Body] = $"m=audio {carrierMedia} RTP" }), null, port: pbxPort,
            extraArgs: ["-mp", FreePort.Udp().ToString(CultureInfo.InvariantCulture)]);
        using var carrier = Sipp.Start(Scenarios.CarrierCall, edge.SipAddress, keys: new Dictionary<string, string> { ["number"] = number, ["caller"] = "79161234567" },
            extraArgs: ["-mp", carrierMedia.ToString(CultureInfo.InvariantCulture)]);
        await AssertSucceededAsync(carrier, "carrier");
        await AssertSucceededAsync(pbx, "pbx");

        var call = await edge.CallAsync(c => c.GetProperty("status").GetString() == "ANSWER");
        Assert.Equal(System.Text.Json.JsonValueKind.Null, call.GetProperty("link").ValueKind);
        Assert.Equal(0, edge.App.Services.GetRequiredService<MediaRelay>().ActiveSessions);
        var options = edge.App.Services.GetRequiredService<IOptions<RecordingOptions>>().Value;
        Assert.Empty(Directory.EnumerateFiles(options.CaptureDirectory, "*", SearchOption.AllDirectories));
        Assert.Empty(Directory.EnumerateFiles(options.Directory, "*", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task An_answered_call_whose_media_stops_is_hung_up_on_both_sides()
    {
        var pbxPort = FreePort.Udp();
        var number = NewNumber();
        using var edge = await RoutingEdge.StartAsync(stores, "127.0.0.1/32", new Dictionary<string, string?> { ["Media:IdleTimeoutSeconds"] = "5" }, pbxPort);
        await edge.ApiAsync("project/calltracking/script/create", string.Concat("{\"name\": \"ads\", \"options\": {\"redirect\": {\"type\": \"phone\", \"value\": \"74990000000\"}}, \"replaceable_numbers\": [\"", number, "\"]}"));

        // Neither side sends RTP: after 5 s the edge sends BYE to both, and both answer it.
        using var pbx = Sipp.Start(Scenarios.PbxAnswering(new Dictionary<string, string>()), null, port: pbxPort, extraArgs: ["-mp", FreePort.Udp().ToString(CultureInfo.InvariantCulture)]);
        using var carrier = Sipp.Start(Scenarios.CarrierCallEndedByEdge, edge.SipAddress, keys: new Dictionary<string, string> { ["number"] = number, ["caller"] = "79161234567" },
            extraArgs: ["-mp", FreePort.Udp().ToString(CultureInfo.InvariantCulture)]);
        await AssertSucceededAsync(carrier, "carrier");
        await AssertSucceededAsync(pbx, "pbx");

        var call = await edge.CallAsync(c => c.GetProperty("status").GetString() == "ANSWER");
        await using var data = NpgsqlDataSource.Create(stores.PostgresConnectionString);
        await using var connection = await data.OpenConnectionAsync();
        var (reason, talk) = await connection.QuerySingleAsync<(string, double)>(
            "SELECT end_reason, extract(epoch FROM ended_at - answered_at)::float8 FROM calls WHERE id = @id", new { id = Guid.Parse(call.GetProperty("id").GetString()!) });
        Assert.Equal("no media", reason);
        Assert.InRange(talk, 4.5, 8);
        await WaitUntilAsync(() => edge.App.Services.GetRequiredService<MediaRelay>().ActiveSessions == 0);
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        for (var i = 0; i < 100 && !condition(); i++)
        {
            await Task.Delay(50);
        }

        Assert.True(condition());
    }

    private static async Task<byte[]> DownloadAsync(RoutingEdge edge, HttpMethod method, string path, string? key)
    {
        using var request = new HttpRequestMessage(method, path);
        if (key is not null)
        {
            request.Headers.Add("Api-key", key);
        }

        using var response = await edge.Http.SendAsync(request);
        Assert.True(response.IsSuccessStatusCode, $"{method} {path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        Assert.Equal("audio/mpeg", response.Content.Headers.ContentType?.MediaType);
        return await response.Content.ReadAsByteArrayAsync();
    }

    private static async Task<HttpStatusCode> StatusAsync(RoutingEdge edge, string path)
    {
        using var response = await edge.Http.GetAsync(path);
        return response.StatusCode;
    }
}
