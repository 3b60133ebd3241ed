using System.IO.Pipes;
using System.Runtime.InteropServices;

namespace Albs.Modules.Common.Processes;

/// <summary>
/// Asks the kernel whether output pipes still have something to deliver: data to read, or the end
/// (every writer closed). Only a pipe with neither is held open by someone who writes nothing.
/// This tells a busy or starved reader (whose thread has not run yet) from a pipe a detached
/// descendant keeps open, which a clock alone cannot.
/// </summary>
internal static class PipeState
{
    private const short PollIn = 0x001;
    private const short PollHup = 0x010;

    /// <summary>True if any of the pipes has data or an end pending; also when it cannot tell.</summary>
    public static bool AnythingPending(IEnumerable<Stream> streams)
    {
        foreach (var stream in streams)
        {
            if (stream is not PipeStream pipe)
            {
                return true;
            }

            var handle = pipe.SafePipeHandle;
            var added = false;
            try
            {
                handle.DangerousAddRef(ref added);
                var fds = new[] { new PollFd { Fd = (int)handle.DangerousGetHandle(), Events = PollIn } };
                var ready = Poll(fds, 1, 0);
                if (ready < 0 || (fds[0].Revents & (PollIn | PollHup)) != 0)
                {
                    return true;
                }
            }
            catch (Exception ex) when (ex is ObjectDisposedException or DllNotFoundException or EntryPointNotFoundException)
            {
                // Closed by its reader meanwhile (it reached the end), or no libc: assume something is pending.
                return true;
            }
            finally
            {
                if (added)
                {
                    handle.DangerousRelease();
                }
            }
        }

        return false;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct PollFd
    {
        public int Fd;
        public short Events;
        public short Revents;
    }

    /// <summary>poll(2) from glibc with a zero timeout: never blocks.</summary>
    [DllImport("libc.so.6", EntryPoint = "poll", SetLastError = true)]
    private static extern int Poll([In, Out] PollFd[] fds, nuint count, int timeout);
}
