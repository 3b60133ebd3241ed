using System.Runtime.InteropServices;

namespace Albs.Modules.Common.Storage;

/// <summary>link(2) from glibc: a second name for a file, without copying it or allocating an inode.</summary>
internal static class HardLink
{
    private const int ENoEnt = 2;

    /// <summary>The outcome of one attempt.</summary>
    public enum Result
    {
        Linked,

        /// <summary><c>existing</c> is gone (for example removed by a clean-up in between).</summary>
        SourceMissing,

        /// <summary>Links are not possible here (another file system, a file system without them, a permission): copy instead.</summary>
        Unsupported,
    }

    /// <summary>Names <paramref name="existing"/> also <paramref name="newPath"/>, which must not exist.</summary>
    public static Result TryCreate(string existing, string newPath)
    {
        if (Link(existing, newPath) == 0)
        {
            return Result.Linked;
        }

        var errno = Marshal.GetLastPInvokeError();
        return errno == ENoEnt && !File.Exists(existing) ? Result.SourceMissing : Result.Unsupported;
    }

    [DllImport("libc.so.6", EntryPoint = "link", SetLastError = true)]
    private static extern int Link([MarshalAs(UnmanagedType.LPUTF8Str)] string existing, [MarshalAs(UnmanagedType.LPUTF8Str)] string newPath);
}
