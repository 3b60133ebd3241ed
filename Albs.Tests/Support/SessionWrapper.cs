using System.Security.Cryptography;
using System.Text;
using Albs.Modules.Common.Processes;

namespace Albs.Tests.Support;

/// <summary>
/// The session wrapper of test agents that record, run under <c>nice</c>, join a CPU group or put
/// programs first on the PATH: a small C program, compiled with gcc once per machine (cached under the
/// temporary directory by the hash of its source). It replaced a bash script whose start-up (about
/// 1 ms of CPU per session, on top of the agent user's login shell) the benchmarks' agents paid a
/// hundredfold in a burst, on the cores the server shares with them; a production agent runs no
/// wrapper at all. Arguments: the arrival log or <c>-</c>, a CPU group's <c>cgroup.procs</c> or
/// <c>-</c>, a directory put first on PATH or <c>-</c>, a niceness.
/// </summary>
internal static class SessionWrapper
{
    // One line per command, as the reader expects: the clock (seconds, microseconds), the command with
    // newlines as spaces, a record separator; written in one append so that concurrent sessions'
    // lines do not interleave. A session that cannot join its CPU group fails (exit 125).
    private const string Source = """
        #define _GNU_SOURCE
        #include <fcntl.h>
        #include <stdio.h>
        #include <stdlib.h>
        #include <string.h>
        #include <time.h>
        #include <unistd.h>

        static int given(const char *arg) { return strcmp(arg, "-") != 0; }

        int main(int argc, char **argv)
        {
            if (argc != 5) return 126;
            const char *command = getenv("SSH_ORIGINAL_COMMAND");
            if (command == NULL) command = "";
            if (given(argv[1])) {
                struct timespec now;
                clock_gettime(CLOCK_REALTIME, &now);
                size_t length = strlen(command);
                char *line = malloc(length + 48);
                if (line == NULL) return 126;
                size_t at = (size_t)snprintf(line, 48, "%lld.%06ld ", (long long)now.tv_sec, now.tv_nsec / 1000);
                for (size_t i = 0; i < length; i++) line[at + i] = command[i] == '\n' ? ' ' : command[i];
                at += length;
                line[at++] = '\036';
                line[at++] = '\n';
                int log = open(argv[1], O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
                if (log >= 0) {
                    if (write(log, line, at) < 0) { /* the command runs anyway */ }
                    close(log);
                }
                free(line);
            }
            if (given(argv[2])) {
                char pid[24];
                int n = snprintf(pid, sizeof pid, "%d\n", (int)getpid());
                int procs = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
                if (procs < 0 || write(procs, pid, (size_t)n) != n) return 125;
                close(procs);
            }
            if (given(argv[3])) {
                const char *path = getenv("PATH");
                size_t size = strlen(argv[3]) + (path != NULL ? strlen(path) : 0) + 2;
                char *joined = malloc(size);
                if (joined == NULL) return 126;
                snprintf(joined, size, "%s:%s", argv[3], path != NULL ? path : "");
                setenv("PATH", joined, 1);
            }
            int niceness = atoi(argv[4]);
            if (niceness > 0 && nice(niceness) == -1) { /* as nice(1) would not: runs anyway */ }
            execl("/bin/sh", "sh", "-c", command, (char *)NULL);
            return 127;
        }

        """;

    private static readonly SemaphoreSlim Gate = new(1, 1);

    /// <summary>The compiled wrapper's path (compiled now if this machine has none of this source).</summary>
    public static async Task<string> ProgramAsync()
    {
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Source)))[..16];
        var program = Path.Combine(Path.GetTempPath(), $"albs-session-wrapper-{hash}");
        await Gate.WaitAsync();
        try
        {
            if (File.Exists(program))
            {
                return program;
            }

            // Compiled beside, then renamed into place: another process never runs a half-written program.
            var scratch = Directory.CreateTempSubdirectory("albs-session-wrapper-").FullName;
            try
            {
                var source = Path.Combine(scratch, "wrapper.c");
                await File.WriteAllTextAsync(source, Source.Replace("\r", "", StringComparison.Ordinal));
                var compiled = Path.Combine(scratch, "wrapper");
                var result = await new ProcessRunner().RunCapturedAsync(
                    new ProcessSpec("gcc", ["-O2", "-Wall", "-o", compiled, source]) { Timeout = TimeSpan.FromMinutes(1) });
                if (!result.Succeeded)
                {
                    throw new InvalidOperationException($"gcc could not compile the agents' session wrapper ({result.ExitCode}): {result.StandardError}. scripts/setup installs gcc.");
                }

                File.Move(compiled, program, overwrite: true);
                return program;
            }
            finally
            {
                Directory.Delete(scratch, recursive: true);
            }
        }
        finally
        {
            Gate.Release();
        }
    }
}
