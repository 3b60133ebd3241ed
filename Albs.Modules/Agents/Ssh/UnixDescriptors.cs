using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Albs.Modules.Agents.Ssh;

/// <summary>socketpair(2), sendmsg(2) with SCM_RIGHTS and close(2) from glibc (x86_64 and aarch64 share the layouts).</summary>
internal static class UnixDescriptors
{
    private const int AfUnix = 1;
    private const int SockStream = 1;
    private const int SockCloexec = 0x80000;
    private const int SolSocket = 1;
    private const int ScmRights = 1;
    private const int MsgNoSignal = 0x4000;
    private const int EIntr = 4;
    private const int EAgain = 11;

    public static (nint Mine, nint Theirs) SocketPair()
    {
        var pair = new int[2];
        if (SocketPairNative(AfUnix, SockStream | SockCloexec, 0, pair) != 0)
        {
            throw new IOException($"socketpair failed: errno {Marshal.GetLastPInvokeError()}");
        }

        return (pair[0], pair[1]);
    }

    /// <summary>Sends one zero byte carrying <paramref name="descriptor"/>, as OpenSSH's mm_send_fd does.</summary>
    public static void SendDescriptor(Socket control, int descriptor)
    {
        // cmsghdr: size_t len, int level, int type, then the int; CMSG_SPACE(sizeof(int)) is 24 on LP64.
        const int controlLength = 24;
        var data = Marshal.AllocHGlobal(1);
        var iov = Marshal.AllocHGlobal(2 * IntPtr.Size);
        var cmsg = Marshal.AllocHGlobal(controlLength);
        try
        {
            Marshal.WriteByte(data, 0);
            Marshal.WriteIntPtr(iov, data);
            Marshal.WriteIntPtr(iov, IntPtr.Size, 1);
            for (var i = 0; i < controlLength; i++)
            {
                Marshal.WriteByte(cmsg, i, 0);
            }

            Marshal.WriteInt64(cmsg, 0, 20); // CMSG_LEN(sizeof(int))
            Marshal.WriteInt32(cmsg, 8, SolSocket);
            Marshal.WriteInt32(cmsg, 12, ScmRights);
            Marshal.WriteInt32(cmsg, 16, descriptor);
            var message = new MessageHeader { Iov = iov, IovLength = 1, Control = cmsg, ControlLength = controlLength };
            var added = false;
            control.SafeHandle.DangerousAddRef(ref added);
            try
            {
                var fd = (int)control.SafeHandle.DangerousGetHandle();
                for (var attempt = 0; ; attempt++)
                {
                    if (SendMessage(fd, ref message, MsgNoSignal) == 1)
                    {
                        return;
                    }

                    var errno = Marshal.GetLastPInvokeError();
                    if ((errno == EAgain && attempt < 1000) || errno == EIntr)
                    {
                        // The socket is non-blocking (the runtime's); a one-byte message waits only for a full buffer.
                        Thread.Sleep(1);
                        continue;
                    }

                    throw new IOException($"passing a descriptor to the ssh master failed: errno {errno}");
                }
            }
            finally
            {
                if (added)
                {
                    control.SafeHandle.DangerousRelease();
                }
            }
        }
        finally
        {
            Marshal.FreeHGlobal(cmsg);
            Marshal.FreeHGlobal(iov);
            Marshal.FreeHGlobal(data);
        }
    }

    public static void Close(int descriptor) => _ = CloseNative(descriptor);

    [StructLayout(LayoutKind.Sequential)]
    private struct MessageHeader
    {
        public IntPtr Name;
        public uint NameLength;
        public IntPtr Iov;
        public nuint IovLength;
        public IntPtr Control;
        public nuint ControlLength;
        public int Flags;
    }

    [DllImport("libc.so.6", EntryPoint = "socketpair", SetLastError = true)]
    private static extern int SocketPairNative(int domain, int type, int protocol, [Out] int[] pair);

    [DllImport("libc.so.6", EntryPoint = "sendmsg", SetLastError = true)]
    private static extern nint SendMessage(int socket, ref MessageHeader message, int flags);

    [DllImport("libc.so.6", EntryPoint = "close", SetLastError = true)]
    private static extern int CloseNative(int descriptor);
}
