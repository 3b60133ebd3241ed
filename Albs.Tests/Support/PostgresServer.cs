using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Npgsql;

namespace Albs.Tests.Support;

/// <summary>
/// A real, throwaway PostgreSQL server on loopback for tests.
/// </summary>
/// <remarks>
/// <para>
/// <see cref="StartAsync"/> looks for the server binaries in <c>/usr/lib/postgresql/*/bin</c> (highest
/// version first), runs <c>initdb</c> into a fresh temporary directory and starts the server with
/// <c>pg_ctl</c> on a free TCP port of 127.0.0.1, durability switched off for speed. PostgreSQL refuses
/// to run as root, so when the tests run as root the directory is handed to the <c>postgres</c> user and
/// the server tools run through <c>runuser -u postgres --</c>.
/// </para>
/// <para>
/// When the environment variable <c>ALBS_TEST_POSTGRES</c> holds a connection string, that existing
/// server is used instead and nothing is started; <see cref="CreateDatabaseAsync"/> still creates fresh
/// databases there (and drops them again on dispose).
/// </para>
/// <para>
/// Missing binaries are an error, never a reason to skip: run <c>scripts/setup</c> to install them.
/// </para>
/// </remarks>
public sealed class PostgresServer : IAsyncDisposable
{
    /// <summary>Environment variable naming an existing server to use instead of starting one.</summary>
    public const string ExternalServerVariable = "ALBS_TEST_POSTGRES";

    private const string PostgresRoot = "/usr/lib/postgresql";
    private const string SuperUser = "postgres";
    private const int StartAttempts = 4;
    private static readonly TimeSpan ToolTimeout = TimeSpan.FromMinutes(2);

    private readonly ServerProcess? process;
    private readonly List<string> createdDatabases = [];
    private readonly Lock createdDatabasesLock = new();
    private int disposed;

    private PostgresServer(string adminConnectionString, ServerProcess? process)
    {
        AdminConnectionString = adminConnectionString;
        this.process = process;
        if (process is not null)
        {
            AppDomain.CurrentDomain.ProcessExit += OnProcessExit;
        }
    }

    /// <summary>Connection string of the <c>postgres</c> superuser to the <c>postgres</c> database.</summary>
    public string AdminConnectionString { get; }

    /// <summary>True when this wraps the server named by <c>ALBS_TEST_POSTGRES</c> instead of its own.</summary>
    public bool IsExternal => process is null;

    /// <summary>Data directory of the server this started, or null for an external server.</summary>
    public string? DataDirectory => process?.DataDirectory;

    /// <summary>
    /// Starts a throwaway server, or connects to the one named by <c>ALBS_TEST_POSTGRES</c>.
    /// </summary>
    /// <exception cref="InvalidOperationException">PostgreSQL is not installed, or the server did not start.</exception>
    public static async Task<PostgresServer> StartAsync(CancellationToken cancellationToken = default)
    {
        var external = Environment.GetEnvironmentVariable(ExternalServerVariable);
        if (!string.IsNullOrWhiteSpace(external))
        {
            var builder = new NpgsqlConnectionStringBuilder(external);
            await using (var connection = new NpgsqlConnection(builder.ConnectionString))
            {
                try
                {
                    await connection.OpenAsync(cancellationToken);
                }
                catch (Exception ex) when (ex is NpgsqlException or SocketException or TimeoutException)
                {
                    throw new InvalidOperationException(
                        $"Cannot connect to the PostgreSQL server named by {ExternalServerVariable} " +
                        $"(Host={builder.Host};Port={builder.Port}): {ex.Message}",
                        ex);
                }
            }

            return new PostgresServer(builder.ConnectionString, process: null);
        }

        var server = await ServerProcess.StartAsync(cancellationToken);
        var admin = new NpgsqlConnectionStringBuilder
        {
            Host = "127.0.0.1",
            Port = server.Port,
            Username = SuperUser,
            Database = "postgres",
        };
        return new PostgresServer(admin.ConnectionString, server);
    }

    /// <summary>
    /// Creates a fresh database (uniquely named unless <paramref name="name"/> is given) and returns a
    /// connection string to it with <c>Include Error Detail=true</c>.
    /// </summary>
    public async Task<string> CreateDatabaseAsync(string? name = null, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref disposed) != 0, this);

        name ??= "albs_test_" + Guid.NewGuid().ToString("N");
        if (name.Length == 0 || Encoding.UTF8.GetByteCount(name) > 63 || name.Contains('\0', StringComparison.Ordinal))
        {
            throw new ArgumentException(
                "A PostgreSQL database name must be 1 to 63 bytes long and contain no NUL.", nameof(name));
        }

        await using (var connection = new NpgsqlConnection(AdminConnectionString))
        {
            await connection.OpenAsync(cancellationToken);
            await using var command = connection.CreateCommand();
            command.CommandText = "CREATE DATABASE " + QuoteIdentifier(name);
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        lock (createdDatabasesLock)
        {
            createdDatabases.Add(name);
        }

        var builder = new NpgsqlConnectionStringBuilder(AdminConnectionString)
        {
            Database = name,
            IncludeErrorDetail = true,
        };
        return builder.ConnectionString;
    }

    /// <summary>
    /// Stops the server this started (immediate shutdown) and deletes its directory; for an external
    /// server, drops the databases this created.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref disposed, 1) != 0)
        {
            return;
        }

        if (process is not null)
        {
            AppDomain.CurrentDomain.ProcessExit -= OnProcessExit;
            await process.StopAsync();
        }
        else
        {
            await DropCreatedDatabasesAsync();
        }
    }

    private static string QuoteIdentifier(string identifier) =>
        "\"" + identifier.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    private async Task DropCreatedDatabasesAsync()
    {
        string[] names;
        lock (createdDatabasesLock)
        {
            names = [.. createdDatabases];
            createdDatabases.Clear();
        }

        if (names.Length == 0)
        {
            return;
        }

        try
        {
            NpgsqlConnection.ClearAllPools();
            await using var connection = new NpgsqlConnection(AdminConnectionString);
            await connection.OpenAsync();
            foreach (var name in names)
            {
                await using var command = connection.CreateCommand();
                command.CommandText = $"DROP DATABASE IF EXISTS {QuoteIdentifier(name)} WITH (FORCE)";
                await command.ExecuteNonQueryAsync();
            }
        }
        catch (Exception)
        {
            // Best effort: leftover databases on an external server are harmless.
        }
    }

    private void OnProcessExit(object? sender, EventArgs e)
    {
        // The test host is going away without having disposed the server: do not leave it running.
        if (Interlocked.Exchange(ref disposed, 1) == 0 && process is not null)
        {
            process.StopAsync().GetAwaiter().GetResult();
        }
    }

    /// <summary>A server this class started with initdb and pg_ctl.</summary>
    private sealed class ServerProcess
    {
        private readonly string binDirectory;
        private readonly string rootDirectory;
        private readonly bool asPostgresUser;

        private ServerProcess(string binDirectory, string rootDirectory, bool asPostgresUser)
        {
            this.binDirectory = binDirectory;
            this.rootDirectory = rootDirectory;
            this.asPostgresUser = asPostgresUser;
        }

        public int Port { get; private set; }

        public string DataDirectory => Path.Combine(rootDirectory, "data");

        private string LogFile => Path.Combine(rootDirectory, "postgres.log");

        public static async Task<ServerProcess> StartAsync(CancellationToken cancellationToken)
        {
            if (OperatingSystem.IsWindows())
            {
                throw new PlatformNotSupportedException("PostgresServer starts Debian's PostgreSQL and needs Linux.");
            }

            var binDirectory = FindBinDirectory() ?? throw new InvalidOperationException(
                $"PostgreSQL server binaries (initdb, pg_ctl, postgres) were not found in {PostgresRoot}/*/bin. " +
                "Run scripts/setup to install PostgreSQL (Debian package 'postgresql'), or set " +
                $"{ExternalServerVariable} to the connection string of an existing server.");

            var asPostgresUser = Environment.IsPrivilegedProcess;
            if (asPostgresUser)
            {
                await EnsurePostgresUserAsync(cancellationToken);
            }

            // Root's TMPDIR may not be reachable by the postgres user, and the Unix socket path must stay
            // short (about 100 bytes), so use /tmp unless a usable short temporary directory is set.
            var tempBase = Path.GetTempPath();
            if (asPostgresUser || tempBase.Length > 60 || tempBase.IndexOfAny([' ', '\'', '"', '\\', '$']) >= 0)
            {
                tempBase = "/tmp";
            }

            var rootDirectory = Path.Combine(tempBase, "albs-pg-" + Guid.NewGuid().ToString("N")[..12]);
            Directory.CreateDirectory(rootDirectory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            var server = new ServerProcess(binDirectory, rootDirectory, asPostgresUser);
            try
            {
                if (asPostgresUser)
                {
                    await RunCheckedAsync("chown", [$"{SuperUser}:{SuperUser}", rootDirectory], rootDirectory, cancellationToken);
                }

                await server.InitDbAsync(cancellationToken);
                await server.StartServerAsync(cancellationToken);
                return server;
            }
            catch
            {
                await server.StopAsync();
                throw;
            }
        }

        public async Task StopAsync()
        {
            try
            {
                if (File.Exists(Path.Combine(DataDirectory, "postmaster.pid")))
                {
                    using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
                    await RunToolAsync("pg_ctl", ["stop", "-D", DataDirectory, "-m", "immediate", "-w", "-t", "30"], timeout.Token);
                }
            }
            catch (Exception)
            {
                // Best effort: the directory is removed below either way.
            }

            try
            {
                Directory.Delete(rootDirectory, recursive: true);
            }
            catch (Exception)
            {
                // Best effort: a leftover directory in /tmp is harmless.
            }
        }

        private static string? FindBinDirectory()
        {
            if (!Directory.Exists(PostgresRoot))
            {
                return null;
            }

            return Directory.GetDirectories(PostgresRoot)
                .Select(directory => (Directory: directory, Version: ParseVersion(Path.GetFileName(directory))))
                .Where(candidate => candidate.Version is not null)
                .OrderByDescending(candidate => candidate.Version)
                .Select(candidate => Path.Combine(candidate.Directory, "bin"))
                .FirstOrDefault(bin =>
                    File.Exists(Path.Combine(bin, "initdb")) &&
                    File.Exists(Path.Combine(bin, "pg_ctl")) &&
                    File.Exists(Path.Combine(bin, "postgres")));
        }

        private static Version? ParseVersion(string name) =>
            Version.TryParse(name.Contains('.', StringComparison.Ordinal) ? name : name + ".0", out var version)
                ? version
                : null;

        private static async Task EnsurePostgresUserAsync(CancellationToken cancellationToken)
        {
            var result = await RunAsync("id", ["-u", SuperUser], workingDirectory: null, cancellationToken);
            if (result.ExitCode != 0)
            {
                throw new InvalidOperationException(
                    $"Running as root, PostgreSQL must run as the '{SuperUser}' user, which does not exist. " +
                    "Run scripts/setup to install PostgreSQL (Debian package 'postgresql').");
            }
        }

        private static int FindFreePort()
        {
            using var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            var port = ((IPEndPoint)listener.LocalEndpoint).Port;
            listener.Stop();
            return port;
        }

        private async Task InitDbAsync(CancellationToken cancellationToken)
        {
            var result = await RunToolAsync(
                "initdb",
                ["-D", DataDirectory, "-U", SuperUser, "--auth=trust", "-E", "UTF8", "--no-locale", "--no-sync"],
                cancellationToken);
            if (result.ExitCode != 0)
            {
                throw new InvalidOperationException(
                    $"initdb failed with exit code {result.ExitCode}:{Environment.NewLine}{result.Output}");
            }
        }

        private async Task StartServerAsync(CancellationToken cancellationToken)
        {
            var failures = new StringBuilder();
            for (var attempt = 1; attempt <= StartAttempts; attempt++)
            {
                var port = FindFreePort();
                // pg_ctl hands these options to the server through /bin/sh; the paths are ours and plain.
                var options = string.Join(
                    ' ',
                    "-c listen_addresses=127.0.0.1",
                    "-p " + port.ToString(CultureInfo.InvariantCulture),
                    $"-c unix_socket_directories='{rootDirectory}'",
                    "-c fsync=off",
                    "-c synchronous_commit=off",
                    "-c full_page_writes=off",
                    "-c max_connections=200");
                var result = await RunToolAsync(
                    "pg_ctl",
                    ["start", "-w", "-t", "60", "-D", DataDirectory, "-l", LogFile, "-o", options],
                    cancellationToken);
                if (result.ExitCode == 0)
                {
                    Port = port;
                    return;
                }

                failures.AppendLine(CultureInfo.InvariantCulture, $"attempt {attempt} on port {port}: pg_ctl exit code {result.ExitCode}")
                    .AppendLine(result.Output.Trim());
            }

            throw new InvalidOperationException(
                $"PostgreSQL did not start in {StartAttempts} attempts.{Environment.NewLine}{failures}" +
                $"Server log ({LogFile}):{Environment.NewLine}{ReadLogTail()}");
        }

        private string ReadLogTail()
        {
            try
            {
                var text = File.ReadAllText(LogFile);
                return text.Length <= 4000 ? text : text[^4000..];
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                return $"(unreadable: {ex.Message})";
            }
        }

        private Task<ToolResult> RunToolAsync(string tool, IReadOnlyList<string> arguments, CancellationToken cancellationToken)
        {
            var path = Path.Combine(binDirectory, tool);
            return asPostgresUser
                ? RunAsync("runuser", ["-u", SuperUser, "--", path, .. arguments], rootDirectory, cancellationToken)
                : RunAsync(path, arguments, rootDirectory, cancellationToken);
        }

        private static async Task RunCheckedAsync(
            string fileName, IReadOnlyList<string> arguments, string? workingDirectory, CancellationToken cancellationToken)
        {
            var result = await RunAsync(fileName, arguments, workingDirectory, cancellationToken);
            if (result.ExitCode != 0)
            {
                throw new InvalidOperationException(
                    $"'{fileName} {string.Join(' ', arguments)}' failed with exit code {result.ExitCode}:{Environment.NewLine}{result.Output}");
            }
        }

        private static async Task<ToolResult> RunAsync(
            string fileName, IReadOnlyList<string> arguments, string? workingDirectory, CancellationToken cancellationToken)
        {
            var startInfo = new ProcessStartInfo(fileName)
            {
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
                WorkingDirectory = workingDirectory ?? string.Empty,
            };
            foreach (var argument in arguments)
            {
                startInfo.ArgumentList.Add(argument);
            }

            // Messages in English, and no PG* variables of the caller steering the tools elsewhere.
            startInfo.Environment["LC_ALL"] = "C";
            foreach (var variable in new[] { "PGDATA", "PGHOST", "PGPORT", "PGUSER", "PGDATABASE", "PGOPTIONS" })
            {
                startInfo.Environment.Remove(variable);
            }

            using var process = new Process { StartInfo = startInfo };
            try
            {
                process.Start();
            }
            catch (System.ComponentModel.Win32Exception ex)
            {
                throw new InvalidOperationException($"Cannot run '{fileName}': {ex.Message}. Run scripts/setup.", ex);
            }

            process.StandardInput.Close();
            var stdout = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
            var stderr = process.StandardError.ReadToEndAsync(CancellationToken.None);

            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(ToolTimeout);
            try
            {
                await process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                try
                {
                    process.Kill(entireProcessTree: true);
                }
                catch (InvalidOperationException)
                {
                    // It exited meanwhile.
                }

                cancellationToken.ThrowIfCancellationRequested();
                throw new TimeoutException($"'{fileName} {string.Join(' ', arguments)}' did not finish within {ToolTimeout}.");
            }

            var output = (await stdout) + (await stderr);
            return new ToolResult(process.ExitCode, output);
        }

        private readonly record struct ToolResult(int ExitCode, string Output);
    }
}

/// <summary>xUnit fixture that starts one <see cref="PostgresServer"/> for the postgres test collection.</summary>
public sealed class PostgresFixture : IAsyncLifetime
{
    private PostgresServer? server;

    /// <summary>The shared server; available once xUnit has initialised the fixture.</summary>
    public PostgresServer Server =>
        server ?? throw new InvalidOperationException("The PostgreSQL fixture has not been initialised.");

    public async Task InitializeAsync() => server = await PostgresServer.StartAsync();

    public async Task DisposeAsync()
    {
        if (server is not null)
        {
            await server.DisposeAsync();
        }
    }
}

/// <summary>
/// Tests in <c>[Collection(PostgresCollection.Name)]</c> share one PostgreSQL server per test run.
/// </summary>
[CollectionDefinition(Name)]
[System.Diagnostics.CodeAnalysis.SuppressMessage(
    "Naming", "CA1711:Identifiers should not have incorrect suffix", Justification = "xUnit collection definitions are named *Collection.")]
public sealed class PostgresCollection : ICollectionFixture<PostgresFixture>
{
    public const string Name = "postgres";
}
