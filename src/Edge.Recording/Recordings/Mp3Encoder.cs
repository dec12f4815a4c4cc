using System.Runtime.InteropServices;

namespace Calltracking.Edge.Recording.Recordings;

/// <summary>
/// MP3 through Debian's libmp3lame (<c>libmp3lame.so.0</c>, package <c>libmp3lame0</c>): constant bit rate, the
/// LAME info frame written back at the start so players know the exact length (encoder delay and padding).
/// </summary>
public sealed partial class Mp3Encoder : IDisposable
{
    private const string Library = "libmp3lame.so.0";
    private const int ChunkSamples = 8192;
    private readonly int channels;
    private nint handle;

    /// <param name="channels">1 (mono) or 2 (stereo: left = caller, right = callee).</param>
    /// <param name="bitrateKbps">CBR bit rate; at 8 kHz MPEG-2.5 allows 8–64 kbit/s.</param>
    public Mp3Encoder(int sampleRate, int channels, int bitrateKbps)
    {
        if (channels is not (1 or 2))
        {
            throw new ArgumentOutOfRangeException(nameof(channels), channels, "1 or 2 channels");
        }

        this.channels = channels;
        handle = lame_init();
        if (handle == 0)
        {
            throw new InvalidOperationException("lame_init failed");
        }

        var settings = lame_set_in_samplerate(handle, sampleRate)
            | lame_set_out_samplerate(handle, sampleRate)
            | lame_set_num_channels(handle, channels)
            | lame_set_mode(handle, channels == 1 ? 3 : 1) // MONO : JOINT_STEREO
            | lame_set_brate(handle, bitrateKbps)
            | lame_set_bWriteVbrTag(handle, 1);
        if (settings != 0 || lame_init_params(handle) < 0)
        {
            _ = lame_close(handle);
            handle = 0;
            throw new ArgumentException($"libmp3lame refused {sampleRate} Hz, {channels} channel(s), {bitrateKbps} kbit/s");
        }
    }

    /// <summary>True when libmp3lame can be loaded on this machine.</summary>
    public static bool IsAvailable() => NativeLibrary.TryLoad(Library, out var h) && Free(h);

    private static bool Free(nint h)
    {
        NativeLibrary.Free(h);
        return true;
    }

    /// <summary>Encodes all of <paramref name="left"/> (and <paramref name="right"/> for stereo) into <paramref name="output"/>, which must be seekable.</summary>
    public unsafe void Encode(ReadOnlySpan<short> left, ReadOnlySpan<short> right, Stream output)
    {
        ObjectDisposedException.ThrowIf(handle == 0, this);
        var buffer = new byte[(ChunkSamples * 5 / 4) + 7200];
        var start = output.Position;
        fixed (short* l = left)
        fixed (short* r = right)
        fixed (byte* mp3 = buffer)
        {
            for (var offset = 0; offset < left.Length; offset += ChunkSamples)
            {
                var count = Math.Min(ChunkSamples, left.Length - offset);
                var written = lame_encode_buffer(handle, l + offset, channels == 2 ? r + offset : l + offset, count, mp3, buffer.Length);
                Check(written, "lame_encode_buffer");
                output.Write(buffer, 0, written);
            }

            var flushed = lame_encode_flush(handle, mp3, buffer.Length);
            Check(flushed, "lame_encode_flush");
            output.Write(buffer, 0, flushed);
            var tag = (int)lame_get_lametag_frame(handle, mp3, (nuint)buffer.Length);
            if (tag > 0 && tag <= buffer.Length)
            {
                var end = output.Position;
                output.Position = start;
                output.Write(buffer, 0, tag);
                output.Position = end;
            }
        }
    }

    private static void Check(int result, string function)
    {
        if (result < 0)
        {
            throw new InvalidOperationException($"{function} failed with {result}");
        }
    }

    public void Dispose()
    {
        if (handle != 0)
        {
            _ = lame_close(handle);
            handle = 0;
        }
    }

    [LibraryImport(Library)]
    private static partial nint lame_init();

    [LibraryImport(Library)]
    private static partial int lame_set_in_samplerate(nint flags, int value);

    [LibraryImport(Library)]
    private static partial int lame_set_out_samplerate(nint flags, int value);

    [LibraryImport(Library)]
    private static partial int lame_set_num_channels(nint flags, int value);

    [LibraryImport(Library)]
    private static partial int lame_set_mode(nint flags, int value);

    [LibraryImport(Library)]
    private static partial int lame_set_brate(nint flags, int value);

    [LibraryImport(Library)]
    private static partial int lame_set_bWriteVbrTag(nint flags, int value);

    [LibraryImport(Library)]
    private static partial int lame_init_params(nint flags);

    [LibraryImport(Library)]
    private static unsafe partial int lame_encode_buffer(nint flags, short* left, short* right, int samples, byte* mp3, int size);

    [LibraryImport(Library)]
    private static unsafe partial int lame_encode_flush(nint flags, byte* mp3, int size);

    [LibraryImport(Library)]
    private static unsafe partial nuint lame_get_lametag_frame(nint flags, byte* buffer, nuint size);

    [LibraryImport(Library)]
    private static partial int lame_close(nint flags);
}
