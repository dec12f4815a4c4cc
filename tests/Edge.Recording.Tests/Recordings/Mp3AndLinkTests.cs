using Calltracking.Edge.Recording.Calls;
using Calltracking.Edge.Recording.Recordings;
using Calltracking.Edge.Testing;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Calltracking.Edge.Recording.Tests.Recordings;

public sealed class Mp3AndLinkTests
{
    /// <summary>
    /// From 24 kbit/s per frame up the LAME info frame fits, so decoders trim the encoder delay and padding exactly; at
    /// 16 kbit/s mono (144-byte frames) it does not (the <c>lame</c> command behaves the same) and up to one frame of
    /// padding (72 ms) plus the delay remain.
    /// </summary>
    [Theory]
    [InlineData(1, 24, 0.01)]
    [InlineData(2, 48, 0.01)]
    [InlineData(1, 16, 0.15)]
    public void Libmp3lame_encodes_what_lame_decodes_back_with_the_same_length_and_tone(int channels, int kbps, double tolerance)
    {
        var samples = new short[8000 * 3];
        for (var i = 0; i < samples.Length; i++)
        {
            samples[i] = (short)(8000 * Math.Sin(2 * Math.PI * 440 * i / 8000));
        }

        var directory = Directory.CreateTempSubdirectory("edge-mp3-test").FullName;
        var mp3 = Path.Combine(directory, "tone.mp3");
        using (var output = File.Create(mp3))
        using (var encoder = new Mp3Encoder(8000, channels, kbps))
        {
            encoder.Encode(samples, channels == 2 ? new short[samples.Length] : default, output);
        }

        var size = new FileInfo(mp3).Length;
        Assert.InRange(size, kbps * 1000 / 8 * 3 * 0.8, kbps * 1000 / 8 * 3 * 1.3);
        var lame = ExternalTool.Require("lame", "lame", "/usr/bin/lame");
        var info = ExternalTool.Run(lame, ["--decode", mp3, Path.Combine(directory, "tone.wav")], TimeSpan.FromSeconds(30));
        var wav = File.ReadAllBytes(Path.Combine(directory, "tone.wav"));
        // 16-bit PCM after a 44-byte header: 3 s of audio (LAME's info frame trims the encoder delay and padding).
        var decodedSeconds = (wav.Length - 44) / 2.0 / channels / 8000;
        Assert.True(Math.Abs(decodedSeconds - 3) <= tolerance, $"decoded {decodedSeconds:F3} s: {info}");
        // Zero crossings per second of the left channel: 880 for a 440 Hz tone.
        var crossings = 0;
        short previous = 0;
        for (var offset = 44 + (8000 * 2 * channels); offset + (2 * channels) <= wav.Length - (8000 * 2 * channels); offset += 2 * channels)
        {
            var s = BitConverter.ToInt16(wav, offset);
            crossings += (previous < 0 && s >= 0) || (previous >= 0 && s < 0) ? 1 : 0;
            previous = s;
        }

        Assert.InRange(crossings / (decodedSeconds - 2), 860, 900);
        Directory.Delete(directory, recursive: true);
    }

    [Fact]
    public void Impossible_encoder_settings_are_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new Mp3Encoder(8000, 3, 16));
        Assert.Throws<ArgumentException>(() => new Mp3Encoder(-8000, 1, 16));
    }

    private static (RecordingLinks Links, FakeTimeProvider Time) Links(string secret = "0123456789abcdef0123456789abcdef-links")
    {
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-11-23T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        var links = new RecordingLinks(
            Options.Create(new RecordingOptions { LinkSecret = secret, LinkLifetimeHours = 24 }),
            Options.Create(new CallHistoryOptions { PublicBaseUrl = "https://edge.example.com/" }), time);
        return (links, time);
    }

    private static CallRow Ready(Guid id, bool forbid = false) => new() { Id = id, ProjectId = 7, RecordingState = "ready", ForbidLinks = forbid };

    [Fact]
    public void A_link_is_signed_for_its_call_and_expires()
    {
        var (links, time) = Links();
        var id = Guid.NewGuid();
        var link = links.For(Ready(id))!;
        Assert.StartsWith($"https://edge.example.com/calltracking/call/{id}/file/", link, StringComparison.Ordinal);
        var token = link[(link.LastIndexOf('/') + 1)..];
        Assert.Equal(LinkCheck.Valid, links.Check(id, token));
        Assert.Equal(LinkCheck.Invalid, links.Check(Guid.NewGuid(), token));
        Assert.Equal(LinkCheck.Invalid, Links("another-secret-0123456789abcdef0123456789").Links.Check(id, token));
        time.Advance(TimeSpan.FromHours(24) + TimeSpan.FromSeconds(1));
        Assert.Equal(LinkCheck.Expired, links.Check(id, token));
    }

    [Theory]
    [InlineData("")]
    [InlineData("nodot")]
    [InlineData(".abc")]
    [InlineData("-5.abc")]
    [InlineData("9999999999.")]
    [InlineData("9999999999.!!!!")]
    [InlineData("9999999999.AAAA")]
    [InlineData("99999999999999999999999.AAAA")]
    public void Malformed_tokens_are_invalid(string token) => Assert.Equal(LinkCheck.Invalid, Links().Links.Check(Guid.NewGuid(), token));

    [Fact]
    public void A_forged_expiry_breaks_the_signature()
    {
        var (links, _) = Links();
        var id = Guid.NewGuid();
        var token = links.Token(id, 1_800_000_000);
        Assert.Equal(LinkCheck.Valid, links.Check(id, token));
        Assert.Equal(LinkCheck.Invalid, links.Check(id, "1900000000" + token[token.IndexOf('.', StringComparison.Ordinal)..]));
    }

    [Fact]
    public void Projects_that_forbid_links_and_edges_without_a_secret_get_the_api_url()
    {
        var id = Guid.NewGuid();
        Assert.Equal($"https://edge.example.com/api/v1/project/calltracking/call/{id}/file?project=7", Links().Links.For(Ready(id, forbid: true)));
        var (noSecret, _) = Links(string.Empty);
        Assert.Equal($"https://edge.example.com/api/v1/project/calltracking/call/{id}/file?project=7", noSecret.For(Ready(id)));
        Assert.Equal(LinkCheck.Invalid, noSecret.Check(id, "1.AAAA"));
        Assert.Null(Links().Links.For(new CallRow { Id = id, RecordingState = null }));
    }

    [Fact]
    public void Options_are_checked_at_start_and_name_the_setting()
    {
        var result = new RecordingOptionsValidation().Validate(null, new RecordingOptions
        {
            CaptureDirectory = " ", Parallelism = 0, QueueCapacity = 0, BitrateKbps = 20, RetrySeconds = 0, LinkSecret = "short", LinkLifetimeHours = 0,
        });
        Assert.True(result.Failed);
        foreach (var setting in new[] { "CaptureDirectory", "Parallelism", "QueueCapacity", "BitrateKbps", "RetrySeconds", "LinkSecret", "LinkLifetimeHours" })
        {
            Assert.Contains($"Recording:{setting}", result.FailureMessage, StringComparison.Ordinal);
        }
    }
}
