using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace Albs.Tests.Support;

/// <summary>
/// The built host (<c>Albs.Web.dll</c>) run as a process of its own, as the run command runs it, so a
/// test can kill it outright (SIGKILL) and start it again on the same data. Settings are passed as
/// environment variables (<c>Section__Key</c>); the bootstrap admin token of <see cref="AlbsWebApp"/>
/// is configured, and <see cref="AdminClient"/> uses it.
/// </summary>
internal sealed partial class HostProcess : IAsyncDisposable
{
    private readonly Process process;
    private readonly List<string> output = [];

    private HostProcess(Process process, Uri address)
    {
        this.process = process;
        Address = address;
    }

    public Uri Address { get; }

    public int Id => process.Id;

    /// <summary>The host's console output so far (for failure messages).</summary>
    public string Output => string.Join('\n', Lines.TakeLast(60));

    /// <summary>Every line the host wrote so far (standard output and error).</summary>
    public IReadOnlyList<string> Lines
    {
        get
        {
            lock (output)
            {
                return [.. output];
            }
        }
    }

    public static async Task<HostProcess> StartAsync(IReadOnlyDictionary<string, string?> settings)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        foreach (var arg in new[] { Path.Combine(AppContext.BaseDirectory, "Albs.Web.dll"), "--urls", "http://127.0.0.1:0" })
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        start.Environment["Identity__BootstrapAdmin__Password"] = AlbsWebApp.AdminPassword;
        start.Environment["Identity__BootstrapAdminToken"] = AlbsWebApp.AdminToken;
        foreach (var (key, value) in settings)
        {
            start.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("the host did not start");
        var listening = new TaskCompletionSource<Uri>(TaskCreationOptions.RunContinuationsAsynchronously);
        var lines = new List<string>();
        void OnLine(string? line)
        {
            if (line is null)
            {
                return;
            }

            lock (lines)
            {
                lines.Add(line);
            }

            if (ListeningOn().Match(line) is { Success: true } match)
            {
                listening.TrySetResult(new Uri(match.Groups[1].Value));
            }
        }

        process.OutputDataReceived += (_, e) => OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => OnLine(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            var address = await listening.Task.WaitAsync(TimeSpan.FromSeconds(90));
            var host = new HostProcess(process, address);
            process.OutputDataReceived += (_, e) => host.Append(e.Data);
            process.ErrorDataReceived += (_, e) => host.Append(e.Data);
            lock (lines)
            {
                host.output.AddRange(lines);
            }

            return host;
        }
        catch (TimeoutException)
        {
            process.Kill(entireProcessTree: true);
            string text;
            lock (lines)
            {
                text = string.Join('\n', lines);
            }

            throw new TimeoutException($"the host did not start listening:\n{text}");
        }
    }

    public HttpClient Client() => new() { BaseAddress = Address, Timeout = TimeSpan.FromSeconds(60) };

    public HttpClient AdminClient()
    {
        var client = Client();
        client.DefaultRequestHeaders.Authorization = new("Bearer", AlbsWebApp.AdminToken);
        return client;
    }

    /// <summary>SIGKILL: no shutdown code runs, as in a crash or an OOM kill. Its child processes are left as they are.</summary>
    public async Task KillAsync()
    {
        if (!process.HasExited)
        {
            await SignalAsync("-KILL");
        }

        await process.WaitForExitAsync();
    }

    /// <summary>SIGTERM, as a service manager stops the host; returns its exit code (killed after 30 s).</summary>
    public async Task<int> StopAsync()
    {
        if (!process.HasExited)
        {
            await SignalAsync("-TERM");
            using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            try
            {
                await process.WaitForExitAsync(limit.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync();
            }
        }

        return process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        process.Dispose();
    }

    private async Task SignalAsync(string signal)
    {
        using var kill = Process.Start("kill", [signal, process.Id.ToString(CultureInfo.InvariantCulture)]);
        await kill.WaitForExitAsync();
    }

    private void Append(string? line)
    {
        if (line is not null)
        {
            lock (output)
            {
                output.Add(line);
            }
        }
    }

    [GeneratedRegex("Now listening on: (http://127\\.0\\.0\\.1:\\d+)")]
    private static partial Regex ListeningOn();
}
