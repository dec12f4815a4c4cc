using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Calltracking.Edge.Sip.Transport;

/// <summary>
/// Datagrams with the moment the kernel received them (Linux <c>SO_TIMESTAMPNS</c>, read with <c>recvmsg</c>), so the
/// stack knows how long each one waited in the socket's queue: under overload that wait is where the backlog is, and
/// a new call that waited too long is refused at once instead of being routed after the carrier has given up on it.
/// .NET's sockets do not return ancillary data other than packet information, hence the system call.
/// </summary>
internal static unsafe partial class TimestampedReceive
{
    private const int SolSocket = 1;
    private const int SoTimestampNs = 35; // SO_TIMESTAMPNS_OLD: a struct timespec of two longs on 64-bit Linux
    private const int MsgTrunc = 0x20;
    private const int Eintr = 4;
    private const int Ebadf = 9;
    private const int Econnrefused = 111;
    private const int Enotsock = 88;
    private const int ControlSize = 64;

    /// <summary>Asks the kernel to stamp the socket's datagrams; false where that is not available (not 64-bit Linux).</summary>
    public static bool TryEnable(Socket socket)
    {
        if (!OperatingSystem.IsLinux() || !Environment.Is64BitProcess)
        {
            return false;
        }

        try
        {
            socket.SetRawSocketOption(SolSocket, SoTimestampNs, BitConverter.GetBytes(1));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    /// <summary>
    /// One datagram into <paramref name="buffer"/>, its sender into <paramref name="address"/>; blocks as
    /// <see cref="Socket.ReceiveFrom(Span{byte}, SocketFlags, SocketAddress)"/> does and throws what it throws.
    /// </summary>
    /// <param name="queued">How long the datagram waited between the kernel and this call (zero when not stamped).</param>
    public static int Receive(Socket socket, Span<byte> buffer, SocketAddress address, out TimeSpan queued)
    {
        queued = TimeSpan.Zero;
        var handle = socket.SafeHandle;
        var added = false;
        try
        {
            handle.DangerousAddRef(ref added);
            var fd = (int)handle.DangerousGetHandle();
            var control = stackalloc byte[ControlSize];
            while (true)
            {
                long received;
                MessageHeader header;
                fixed (byte* data = buffer)
                fixed (byte* name = address.Buffer.Span)
                {
                    var vector = new IoVector { Base = data, Length = (nuint)buffer.Length };
                    header = new MessageHeader
                    {
                        Name = name,
                        NameLength = (uint)address.Buffer.Length,
                        Vectors = &vector,
                        VectorCount = 1,
                        Control = control,
                        ControlLength = ControlSize,
                    };
                    received = ReceiveMessage(fd, &header, 0);
                }

                if (received < 0)
                {
                    var errno = Marshal.GetLastPInvokeError();
                    if (errno == Eintr)
                    {
                        continue;
                    }

                    throw new SocketException((int)(errno switch
                    {
                        Econnrefused => SocketError.ConnectionReset,
                        Ebadf or Enotsock => SocketError.OperationAborted,
                        _ => SocketError.SocketError,
                    }));
                }

                if ((header.Flags & MsgTrunc) != 0)
                {
                    throw new SocketException((int)SocketError.MessageSize);
                }

                address.Size = (int)header.NameLength;
                queued = QueuedFor(control, (int)header.ControlLength);
                return (int)received;
            }
        }
        finally
        {
            if (added)
            {
                handle.DangerousRelease();
            }
        }
    }

    /// <summary>The wait since the kernel's stamp in the control data, if it holds one (cmsghdr: length, level, type, then the timespec at offset 16).</summary>
    private static TimeSpan QueuedFor(byte* control, int length)
    {
        for (var at = 0; at + 16 <= length;)
        {
            var cmsgLength = (int)*(nuint*)(control + at);
            var level = *(int*)(control + at + 8);
            var type = *(int*)(control + at + 12);
            if (cmsgLength < 16)
            {
                break;
            }

            if (level == SolSocket && type == SoTimestampNs && cmsgLength >= 32)
            {
                var seconds = *(long*)(control + at + 16);
                var nanoseconds = *(long*)(control + at + 24);
                var stamped = DateTime.UnixEpoch.Ticks + (seconds * TimeSpan.TicksPerSecond) + (nanoseconds / 100);
                var waited = DateTime.UtcNow.Ticks - stamped;
                return waited > 0 ? TimeSpan.FromTicks(waited) : TimeSpan.Zero;
            }

            at += (cmsgLength + 7) & ~7;
        }

        return TimeSpan.Zero;
    }

    [LibraryImport("libc", EntryPoint = "recvmsg", SetLastError = true)]
    private static partial long ReceiveMessage(int fd, MessageHeader* header, int flags);

    [StructLayout(LayoutKind.Sequential)]
    private struct IoVector
    {
        public byte* Base;
        public nuint Length;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct MessageHeader
    {
        public byte* Name;
        public uint NameLength;
        public IoVector* Vectors;
        public nuint VectorCount;
        public byte* Control;
        public nuint ControlLength;
        public int Flags;
    }
}
