using System.Buffers;
using System.Buffers.Binary;
using System.Net.Sockets;
using System.Text;

namespace Albs.Modules.Agents.Ssh;

/// <summary>
/// Opens a session on an agent's running ssh master connection directly, speaking OpenSSH's
/// multiplexing protocol (<c>PROTOCOL.mux</c>: hello, <c>MUX_C_NEW_SESSION</c>, the three standard
/// streams passed as file descriptors, the exit message) on its control socket: what an
/// <c>ssh -o ControlPath=…</c> client does, without starting a process for it. A process per session
/// cost about 5 ms of CPU (loading ssh and OpenSSL, reading its options) plus a fork of the server,
/// and the runtime looks at every child process on each child's exit.
/// The streams are Unix socket pairs; the master reads and writes the far ends itself. The command
/// string is the one <see cref="SshCommand"/> would pass to ssh, already quoted with
/// <see cref="Common.Processes.PosixShell"/>. Linux only (<see cref="UnixDescriptors"/>).
/// </summary>
internal static class SshMux
{
    private const uint Hello = 0x00000001;
    private const uint NewSession = 0x10000002;
    private const uint PermissionDenied = 0x80000002;
    private const uint Failure = 0x80000003;
    private const uint ExitMessage = 0x80000004;
    private const uint SessionOpened = 0x80000006;
    private const uint TtyAllocFail = 0x80000008;
    private const uint Version = 4;
    private const uint RequestId = 1;
    private const uint NoEscapeChar = 0xffffffff;
    private const int MaxPacket = 256 * 1024;

    /// <summary>
    /// Runs <paramref name="command"/> in a new session on the master listening at
    /// <paramref name="controlSocket"/>. Null when no master answers there or it refuses the session:
    /// nothing was started on the agent and no callback was called; the caller starts ssh instead (which
    /// opens a new master). Exit code 255 when the session ended without an exit status (the remote
    /// command died of a signal, or the connection was lost), as ssh reports it.
    /// </summary>
    public static async Task<BinaryProcessResult?> TryRunAsync(
        string controlSocket,
        string command,
        Func<Stream, CancellationToken, Task> writeStandardInput,
        Func<Stream, CancellationToken, Task> readStandardOutput,
        Func<Stream, CancellationToken, Task> readStandardError,
        TimeSpan? timeout,
        CancellationToken cancellationToken)
    {
        if (!OperatingSystem.IsLinux() || !File.Exists(controlSocket))
        {
            return null;
        }

        var control = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        Socket[] ours = [];
        try
        {
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            if (timeout is { } limit)
            {
                stop.CancelAfter(limit);
            }

            var stream = await OpenAsync(control, controlSocket, command, stop.Token);
            if (stream is null)
            {
                return null;
            }

            try
            {
                ours = PassStreams(control);
            }
            catch (IOException)
            {
                // The master did not get the streams, so it cannot have started the session.
                return null;
            }

            var (opened, reason) = await ReadOpenedAsync(stream, stop.Token);
            if (!opened)
            {
                if (reason is not null)
                {
                    // Refused before anything ran on the agent.
                    return null;
                }

                return new BinaryProcessResult(255, TimedOut: false);
            }

            return await RunSessionAsync(stream, ours, writeStandardInput, readStandardOutput, readStandardError, stop, cancellationToken);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new BinaryProcessResult(255, TimedOut: true);
        }
        finally
        {
            foreach (var socket in ours)
            {
                socket.Dispose();
            }

            control.Dispose();
        }
    }

    /// <summary>Connects, exchanges hellos and sends the session request; null if no master answers.</summary>
    private static async Task<NetworkStream?> OpenAsync(Socket control, string controlSocket, string command, CancellationToken cancellationToken)
    {
        try
        {
            await control.ConnectAsync(new UnixDomainSocketEndPoint(controlSocket), cancellationToken);
            var stream = new NetworkStream(control, ownsSocket: false);
            await stream.WriteAsync(new PacketWriter().U32(Hello).U32(Version).ToPacket(), cancellationToken);
            var hello = await ReadPacketAsync(stream, cancellationToken);
            if (hello is null || hello.Value.Type != Hello || hello.Value.Body.Length < 4 || BinaryPrimitives.ReadUInt32BigEndian(hello.Value.Body) != Version)
            {
                return null;
            }

            await stream.WriteAsync(
                new PacketWriter().U32(NewSession).U32(RequestId).Text("")
                    .U32(0).U32(0).U32(0).U32(0) // no tty, no X11, no agent forwarding, not a subsystem
                    .U32(NoEscapeChar).Text("").Text(command).ToPacket(),
                cancellationToken);
            return stream;
        }
        catch (Exception ex) when (ex is SocketException or IOException)
        {
            // A stale socket (the master exited) or one shutting down.
            return null;
        }
    }

    /// <summary>Makes three socket pairs, passes one end of each to the master as stdin, stdout and stderr, keeps the others.</summary>
    private static Socket[] PassStreams(Socket control)
    {
        var ours = new List<Socket>(3);
        try
        {
            for (var i = 0; i < 3; i++)
            {
                var (mine, theirs) = UnixDescriptors.SocketPair();
                var handle = new SafeSocketHandle(mine, ownsHandle: true);
                try
                {
                    ours.Add(new Socket(handle));
                    UnixDescriptors.SendDescriptor(control, (int)theirs);
                }
                catch when (ours.Count == i)
                {
                    // The socket was not made: its handle is closed here, not with the others.
                    handle.Dispose();
                    throw;
                }
                finally
                {
                    UnixDescriptors.Close((int)theirs);
                }
            }

            return [.. ours];
        }
        catch
        {
            foreach (var socket in ours)
            {
                socket.Dispose();
            }

            throw;
        }
    }

    /// <summary>Whether the session opened; if not, the master's reason when it refused (nothing ran), or null when it went away (unknown).</summary>
    private static async Task<(bool Opened, string? Refused)> ReadOpenedAsync(NetworkStream stream, CancellationToken cancellationToken)
    {
        try
        {
            while (await ReadPacketAsync(stream, cancellationToken) is { } packet)
            {
                switch (packet.Type)
                {
                    case SessionOpened:
                        return (true, null);
                    case PermissionDenied or Failure:
                        return (false, packet.Body.Length >= 8 ? Encoding.UTF8.GetString(packet.Body, 8, packet.Body.Length - 8) : "refused");
                    default:
                        continue;
                }
            }
        }
        catch (IOException)
        {
            // The master went away.
        }

        return (false, null);
    }

    private static async Task<BinaryProcessResult> RunSessionAsync(
        NetworkStream control,
        Socket[] ours,
        Func<Stream, CancellationToken, Task> writeStandardInput,
        Func<Stream, CancellationToken, Task> readStandardOutput,
        Func<Stream, CancellationToken, Task> readStandardError,
        CancellationTokenSource stop,
        CancellationToken cancellationToken)
    {
        var exitCode = ReadExitAsync(control, stop.Token);
        var stdin = WriteAsync(ours[0], writeStandardInput, stop.Token);
        var stdout = readStandardOutput(new NetworkStream(ours[1], ownsSocket: false), stop.Token);
        var stderr = readStandardError(new NetworkStream(ours[2], ownsSocket: false), stop.Token);
        var io = Task.WhenAll(stdin, stdout, stderr);
        try
        {
            await io.WaitAsync(stop.Token);
            return new BinaryProcessResult(await exitCode.WaitAsync(stop.Token), TimedOut: false);
        }
        catch (Exception)
        {
            // Closing our ends and the control connection makes the master close the session's
            // channel, as killing an ssh client would.
            foreach (var socket in ours)
            {
                socket.Dispose();
            }

            control.Socket.Dispose();
            try
            {
                await Task.WhenAll(io, exitCode);
            }
            catch (Exception) when (stop.IsCancellationRequested)
            {
                // The pumps were stopped with the session.
            }

            cancellationToken.ThrowIfCancellationRequested();
            if (!stop.IsCancellationRequested)
            {
                throw;
            }

            return new BinaryProcessResult(255, TimedOut: true);
        }
    }

    /// <summary>The remote command's exit status, or 255 if the master closed the connection without one.</summary>
    private static async Task<int> ReadExitAsync(NetworkStream control, CancellationToken cancellationToken)
    {
        try
        {
            while (await ReadPacketAsync(control, cancellationToken) is { } packet)
            {
                if (packet.Type == ExitMessage && packet.Body.Length >= 8)
                {
                    return (int)BinaryPrimitives.ReadUInt32BigEndian(packet.Body.AsSpan(4));
                }

                if (packet.Type != TtyAllocFail)
                {
                    break;
                }
            }
        }
        catch (IOException)
        {
            // The master went away.
        }

        return 255;
    }

    private static async Task WriteAsync(Socket socket, Func<Stream, CancellationToken, Task> write, CancellationToken cancellationToken)
    {
        await using var stream = new NetworkStream(socket, ownsSocket: false);
        try
        {
            await write(stream, cancellationToken);
        }
        catch (IOException)
        {
            // The remote side stopped reading (it failed or finished early): its exit code tells.
        }
        finally
        {
            try
            {
                socket.Shutdown(SocketShutdown.Send);
            }
            catch (SocketException)
            {
                // Already closed by the master.
            }
            catch (ObjectDisposedException)
            {
                // The session was stopped.
            }
        }
    }

    /// <summary>One packet (type and body, the body without its type), or null at the end of the stream.</summary>
    private static async Task<(uint Type, byte[] Body)?> ReadPacketAsync(Stream stream, CancellationToken cancellationToken)
    {
        var header = new byte[4];
        var read = await stream.ReadAtLeastAsync(header, 4, throwOnEndOfStream: false, cancellationToken);
        if (read < 4)
        {
            return null;
        }

        var length = BinaryPrimitives.ReadUInt32BigEndian(header);
        if (length is < 4 or > MaxPacket)
        {
            throw new IOException($"ssh master sent a packet of {length} bytes");
        }

        var packet = new byte[length];
        await stream.ReadExactlyAsync(packet, cancellationToken);
        return (BinaryPrimitives.ReadUInt32BigEndian(packet), packet[4..]);
    }

    /// <summary>A packet being written: its length (filled in by <see cref="ToPacket"/>), then its type and body.</summary>
    private sealed class PacketWriter
    {
        private readonly ArrayBufferWriter<byte> buffer = new();

        public PacketWriter()
        {
            buffer.GetSpan(4);
            buffer.Advance(4);
        }

        public PacketWriter U32(uint value)
        {
            BinaryPrimitives.WriteUInt32BigEndian(buffer.GetSpan(4), value);
            buffer.Advance(4);
            return this;
        }

        public PacketWriter Text(string value)
        {
            var bytes = Encoding.UTF8.GetBytes(value);
            U32((uint)bytes.Length);
            buffer.Write(bytes);
            return this;
        }

        public byte[] ToPacket()
        {
            var packet = buffer.WrittenSpan.ToArray();
            BinaryPrimitives.WriteUInt32BigEndian(packet, (uint)(packet.Length - 4));
            return packet;
        }
    }
}
