using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Runtime.InteropServices;

namespace Calltracking.Edge.Sip.Media;

/// <summary>
/// One relay thread: an epoll set of relay sockets, woken by the kernel when packets arrive, that reads each socket
/// until it is empty and sends every packet straight on with <c>sendto</c>, on the same thread — no thread-pool hop,
/// no allocation and no managed socket machinery per packet. Sockets are added and removed through a queue the
/// thread drains between batches (woken by an eventfd), so a socket is closed only by the thread that reads it and
/// an event can never reach a reused descriptor. The relay runs one loop per core.
/// </summary>
internal sealed unsafe partial class RelayLoop : IDisposable
{
    private const int MaxEvents = 256;
    private const int EpollIn = 0x001;
    private const int EpollCtlAdd = 1;
    private const int EpollCtlDel = 2;
    private const int MsgDontWait = 0x40;
    private const int EAgain = 11;
    private const int EIntr = 4;
    private static readonly int EventSize = RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 12 : 16; // packed on x86-64
    private static readonly int DataOffset = RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 4 : 8;

    private readonly int epoll;
    private readonly int wake;
    private readonly ConcurrentQueue<(RelayEndpoint Endpoint, bool Add)> changes = new();
    private readonly Dictionary<long, RelayEndpoint> endpoints = [];
    private readonly Thread thread;
    private volatile bool stopping;
    private long nextId = 1;

    public RelayLoop(int index)
    {
        epoll = epoll_create1(0x80000); // EPOLL_CLOEXEC
        wake = eventfd(0, 0x80000 | 0x800); // EFD_CLOEXEC | EFD_NONBLOCK
        if (epoll < 0 || wake < 0)
        {
            throw new InvalidOperationException($"epoll/eventfd failed: errno {Marshal.GetLastPInvokeError()}");
        }

        Control(EpollCtlAdd, wake, 0);
        thread = new Thread(Run) { IsBackground = true, Name = $"rtp-relay-{index}" };
        thread.Start();
    }

    public int Count => endpoints.Count;

    public void Add(RelayEndpoint endpoint) => Post(endpoint, add: true);

    /// <summary>Stops reading the endpoint's socket and closes it on the loop's thread; then <see cref="RelayEndpoint.Removed"/> runs.</summary>
    public void Remove(RelayEndpoint endpoint) => Post(endpoint, add: false);

    private void Post(RelayEndpoint endpoint, bool add)
    {
        changes.Enqueue((endpoint, add));
        ulong one = 1;
        _ = write(wake, &one, 8);
    }

    private void Run()
    {
        var events = (byte*)NativeMemory.Alloc((nuint)(MaxEvents * EventSize));
        var buffer = (byte*)NativeMemory.Alloc(MediaRelay.MaxPacket);
        var address = stackalloc byte[RelayEndpoint.MaxAddress];
        try
        {
            while (!stopping)
            {
                var count = epoll_wait(epoll, events, MaxEvents, -1);
                if (count < 0)
                {
                    if (Marshal.GetLastPInvokeError() == EIntr)
                    {
                        continue;
                    }

                    break;
                }

                for (var i = 0; i < count; i++)
                {
                    var id = BinaryPrimitives.ReadInt64LittleEndian(new ReadOnlySpan<byte>(events + (i * EventSize) + DataOffset, 8));
                    if (id == 0)
                    {
                        ulong drained;
                        _ = read(wake, &drained, 8);
                        ApplyChanges();
                    }
                    else if (endpoints.TryGetValue(id, out var endpoint))
                    {
                        Drain(endpoint, buffer, address);
                    }
                }
            }
        }
        finally
        {
            NativeMemory.Free(events);
            NativeMemory.Free(buffer);
        }
    }

    private void ApplyChanges()
    {
        while (changes.TryDequeue(out var change))
        {
            var endpoint = change.Endpoint;
            if (change.Add)
            {
                endpoint.Id = nextId++;
                endpoints[endpoint.Id] = endpoint;
                Control(EpollCtlAdd, endpoint.Fd, endpoint.Id);
            }
            else if (endpoints.Remove(endpoint.Id))
            {
                Control(EpollCtlDel, endpoint.Fd, endpoint.Id);
                endpoint.Removed();
            }
        }
    }

    /// <summary>Reads the socket until it is empty (at most 64 packets, so one busy socket cannot starve the others).</summary>
    private static void Drain(RelayEndpoint endpoint, byte* buffer, byte* address)
    {
        for (var n = 0; n < 64; n++)
        {
            var addressLength = RelayEndpoint.MaxAddress;
            var length = (int)recvfrom(endpoint.Fd, buffer, MediaRelay.MaxPacket, MsgDontWait, address, &addressLength);
            if (length < 0)
            {
                var errno = Marshal.GetLastPInvokeError();
                if (errno == EAgain)
                {
                    return;
                }

                if (errno == EIntr)
                {
                    continue;
                }

                return; // ECONNREFUSED from an earlier ICMP and the like: the next read goes on
            }

            var destination = endpoint.Accept(new ReadOnlySpan<byte>(address, addressLength), new ReadOnlySpan<byte>(buffer, length));
            if (destination is null)
            {
                continue;
            }

            fixed (byte* to = destination.Bytes)
            {
                if (sendto(endpoint.Output.Fd, buffer, (nuint)length, MsgDontWait, to, destination.Bytes.Length) < 0)
                {
                    endpoint.SendFailed();
                }
            }
        }
    }

    private void Control(int operation, int fd, long id)
    {
        var ev = stackalloc byte[16];
        new Span<byte>(ev, 16).Clear();
        BinaryPrimitives.WriteInt32LittleEndian(new Span<byte>(ev, 4), EpollIn);
        BinaryPrimitives.WriteInt64LittleEndian(new Span<byte>(ev + DataOffset, 8), id);
        if (epoll_ctl(epoll, operation, fd, ev) < 0 && operation == EpollCtlAdd)
        {
            throw new InvalidOperationException($"epoll_ctl failed: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    public void Dispose()
    {
        stopping = true;
        ulong one = 1;
        _ = write(wake, &one, 8);
        thread.Join(TimeSpan.FromSeconds(2));
        _ = close(epoll);
        _ = close(wake);
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int epoll_create1(int flags);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int epoll_ctl(int epfd, int op, int fd, byte* ev);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int epoll_wait(int epfd, byte* events, int maxEvents, int timeout);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int eventfd(uint initial, int flags);

    [LibraryImport("libc", SetLastError = true)]
    private static partial nint recvfrom(int fd, byte* buffer, nuint length, int flags, byte* address, int* addressLength);

    [LibraryImport("libc", SetLastError = true)]
    private static partial nint sendto(int fd, byte* buffer, nuint length, int flags, byte* address, int addressLength);

    [LibraryImport("libc", SetLastError = true)]
    private static partial nint write(int fd, ulong* buffer, nuint count);

    [LibraryImport("libc", SetLastError = true)]
    private static partial nint read(int fd, ulong* buffer, nuint count);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int close(int fd);
}
