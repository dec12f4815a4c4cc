using System.Diagnostics.Metrics;
using Calltracking.Edge.Host.Projects;
using Calltracking.Edge.Recording.Calls;
using Calltracking.Edge.Recording.Recordings;
using Calltracking.Edge.Testing;
using Calltracking.Shared.Media;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Calltracking.Edge.Recording.Tests.Recordings;

/// <summary>The worker against real PostgreSQL: what a killed process left behind is encoded at the next start.</summary>
public sealed class RecordingWorkerTests(EdgeStoresFixture stores) : IClassFixture<EdgeStoresFixture>, IDisposable
{
    private readonly string root = Directory.CreateTempSubdirectory("edge-worker-test").FullName;
    private readonly ServiceProvider services = new ServiceCollection().AddMetrics().BuildServiceProvider();

    private RecordingOptions Settings => new()
    {
        CaptureDirectory = Path.Combine(root, "captures"), Directory = Path.Combine(root, "recordings"), RetrySeconds = 1, Parallelism = 2,
    };

    private async Task<Guid> RecordedCallAsync(long project, DateTimeOffset answered)
    {
        var id = Guid.CreateVersion7();
        await new CallRecordStore(stores.DataSource).ApplyAsync(
        [
            new SpoolEvent { Kind = "started", CallId = id, At = answered.AddSeconds(-3), ProjectId = project, Callee = "74951234567", Caller = "79161234567", Recorded = true },
            new SpoolEvent { Kind = "answered", CallId = id, At = answered },
            new SpoolEvent { Kind = "ended", CallId = id, At = answered.AddSeconds(2), Status = "ANSWER" },
        ], CancellationToken.None);
        return id;
    }

    /// <summary>A capture as the relay leaves it: two seconds of A-law, completed or cut off by a crash.</summary>
    private static void WriteCapture(string directory, Guid id, long project, DateTimeOffset answered, bool completed)
    {
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, id.ToString("N") + (completed ? CaptureFile.Extension : CaptureFile.PartialExtension));
        using var stream = File.Create(path);
        CaptureFile.WriteHeader(stream, new CaptureMetadata(id, project, answered, false, []));
        Span<byte> header = stackalloc byte[CaptureFile.RecordHeaderSize];
        var payload = new byte[160];
        for (var k = 0; k < 100; k++)
        {
            payload.AsSpan().Fill((byte)(k % 2 == 0 ? 0x2A : 0xAA)); // loud square-ish wave
            CaptureFile.FormatRecordHeader(header, (byte)MediaDirection.FromCaller, new RtpHeader(8, (ushort)k, (uint)(k * 160), 5, 12, 160), 160, (ulong)(k * 20_000));
            stream.Write(header);
            stream.Write(payload);
        }

        if (completed)
        {
            CaptureFile.FormatRecordHeader(header, CaptureFile.EndMarker, default, 0, 2_000_000);
            stream.Write(header);
        }
    }

    private async Task<(string? State, string? Path, decimal? Seconds)> RecordingOfAsync(Guid id)
    {
        await using var connection = await stores.DataSource.OpenConnectionAsync();
        return await connection.QuerySingleAsync<(string?, string?, decimal?)>(
            "SELECT recording_state, recording_path, recording_seconds FROM calls WHERE id = @id", new { id });
    }

    private async Task WaitReadyAsync(Guid id)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while ((await RecordingOfAsync(id)).State != "ready")
        {
            Assert.True(DateTime.UtcNow < deadline, $"recording of {id} never became ready");
            await Task.Delay(100);
        }
    }

    [Fact]
    public async Task Captures_left_by_a_killed_process_are_encoded_and_marked_once_the_record_exists()
    {
        var (project, _) = await new ProjectStore(stores.DataSource).CreateAsync("worker", CancellationToken.None);
        var answered = DateTimeOffset.Parse("2026-11-20T08:30:00Z", System.Globalization.CultureInfo.InvariantCulture);
        var midCall = await RecordedCallAsync(project, answered);
        var notYetDrained = Guid.CreateVersion7();
        var settings = Settings;
        WriteCapture(settings.CaptureDirectory, midCall, project, answered, completed: false);
        WriteCapture(settings.CaptureDirectory, notYetDrained, project, answered, completed: true);

        var options = Options.Create(settings);
        var metrics = new RecordingMetrics(services.GetRequiredService<IMeterFactory>());
        var recorder = new FileCallRecorder(options, TimeProvider.System, NullLogger<FileCallRecorder>.Instance, metrics);
        using var worker = new RecordingWorker(recorder, new RecordingStore(stores.DataSource), metrics, options, TimeProvider.System, NullLogger<RecordingWorker>.Instance);
        await worker.StartAsync(CancellationToken.None);

        await WaitReadyAsync(midCall);
        var (_, relative, seconds) = await RecordingOfAsync(midCall);
        Assert.Equal(Path.Combine("2026/11/20", project.ToString(System.Globalization.CultureInfo.InvariantCulture), midCall.ToString("N") + ".mp3"), relative);
        Assert.Equal(2.00m, seconds); // no end record: the call lasts to its last packet
        Assert.True(File.Exists(Path.Combine(settings.Directory, relative!)));
        // The worker deletes the capture right after marking the record ready: give it that moment.
        var capture = Path.Combine(settings.CaptureDirectory, midCall.ToString("N") + CaptureFile.Extension);
        var gone = DateTime.UtcNow.AddSeconds(5);
        while (File.Exists(capture) && DateTime.UtcNow < gone)
        {
            await Task.Delay(20);
        }

        Assert.False(File.Exists(capture));

        // The other call's record has not reached PostgreSQL: its capture waits, then goes once the record arrives.
        await Task.Delay(1500);
        Assert.True(File.Exists(Path.Combine(settings.CaptureDirectory, notYetDrained.ToString("N") + CaptureFile.Extension)));
        await new CallRecordStore(stores.DataSource).ApplyAsync(
            [new SpoolEvent { Kind = "started", CallId = notYetDrained, At = answered, ProjectId = project, Callee = "74951234567", Recorded = true }], CancellationToken.None);
        await WaitReadyAsync(notYetDrained);
        Assert.Empty(Directory.EnumerateFiles(settings.CaptureDirectory));
        await worker.StopAsync(CancellationToken.None);
    }

    /// <summary>A capture the disk will not open (here its file's name is taken by a folder): the call goes on unrecorded.</summary>
    [Fact]
    public void A_capture_that_cannot_be_opened_leaves_the_call_unrecorded()
    {
        var settings = Settings;
        var call = Guid.NewGuid();
        Directory.CreateDirectory(Path.Combine(settings.CaptureDirectory, call.ToString("N") + CaptureFile.PartialExtension));
        var metrics = new RecordingMetrics(services.GetRequiredService<IMeterFactory>());
        var recorder = new FileCallRecorder(Options.Create(settings), TimeProvider.System, NullLogger<FileCallRecorder>.Instance, metrics);
        Assert.Null(recorder.Open(new CaptureInfo(call, 1, DateTimeOffset.UtcNow, Stereo: true, new Dictionary<int, string> { [8] = "PCMA" })));
    }

    [Fact]
    public async Task A_file_that_is_not_a_capture_is_set_aside_not_deleted()
    {
        var settings = Settings;
        Directory.CreateDirectory(settings.CaptureDirectory);
        var bogus = Path.Combine(settings.CaptureDirectory, Guid.NewGuid().ToString("N") + CaptureFile.Extension);
        await File.WriteAllTextAsync(bogus, "not a capture");
        var options = Options.Create(settings);
        var metrics = new RecordingMetrics(services.GetRequiredService<IMeterFactory>());
        var recorder = new FileCallRecorder(options, TimeProvider.System, NullLogger<FileCallRecorder>.Instance, metrics);
        using var worker = new RecordingWorker(recorder, new RecordingStore(stores.DataSource), metrics, options, TimeProvider.System, NullLogger<RecordingWorker>.Instance);
        await worker.ProcessAsync(bogus, CancellationToken.None);
        Assert.False(File.Exists(bogus));
        Assert.True(File.Exists(Path.Combine(settings.CaptureDirectory, "unreadable", Path.GetFileName(bogus))));
    }

    public void Dispose()
    {
        services.Dispose();
        Directory.Delete(root, recursive: true);
    }
}
