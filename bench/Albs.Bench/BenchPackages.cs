using System.Globalization;
using Albs.Tests.Support;

namespace Albs.Bench;

/// <summary>The packages the benchmarks build, each committed to a fresh git repository.</summary>
internal static class BenchPackages
{
    /// <summary>
    /// The trivial package: noarch, one shell script, no compiler. It still goes through every
    /// rpmbuild stage (prep, install, file lists, payload), so what remains is per-build overhead.
    /// </summary>
    public const string HelloSpec = """
        Name: bench-hello
        Version: 1.0
        Release: 1%{?dist}
        Summary: A trivial package for the Albs benchmarks
        License: MIT
        BuildArch: noarch

        %description
        One shell script: the smallest package that still goes through every rpmbuild stage.

        %install
        mkdir -p %{buildroot}%{_bindir}
        printf '#!/bin/sh\necho hello\n' > %{buildroot}%{_bindir}/bench-hello
        chmod 755 %{buildroot}%{_bindir}/bench-hello

        %files
        %{_bindir}/bench-hello

        """;

    /// <summary>
    /// A package whose %build prints <c>tick &lt;unix time with ns&gt;</c> lines: each line carries
    /// the agent's clock at the moment it was printed.
    /// </summary>
    public static string TicksSpec(int ticks, double interval) => $$"""
        Name: bench-ticks
        Version: 1.0
        Release: 1%{?dist}
        Summary: Prints timestamped lines while it builds
        License: MIT
        BuildArch: noarch

        %description
        Prints timestamped lines while it builds, for the live log benchmark.

        %build
        set +x
        {{TickLoop(ticks, interval).Replace("%", "%%", StringComparison.Ordinal)}}

        %install
        mkdir -p %{buildroot}%{_datadir}/bench-ticks
        echo ticks > %{buildroot}%{_datadir}/bench-ticks/done

        %files
        %{_datadir}/bench-ticks/done

        """;

    /// <summary>The shell loop of <see cref="TicksSpec"/>, also run bare over ssh as the baseline.</summary>
    public static string TickLoop(int ticks, double interval) =>
        $"for i in $(seq {ticks.ToString(CultureInfo.InvariantCulture)}); do echo \"tick $(date +%s.%N)\"; sleep {interval.ToString("0.###", CultureInfo.InvariantCulture)}; done";

    public static async Task<TestGitRepository> RepositoryAsync(string name, string spec)
    {
        var repo = await TestGitRepository.CreateAsync(name);
        await repo.CommitAsync($"import {name}", ($"{name}.spec", spec.Replace("\r", "", StringComparison.Ordinal)));
        return repo;
    }

    /// <summary>Parses a <c>tick &lt;seconds&gt;.&lt;ns&gt;</c> line into the time it carries.</summary>
    public static bool TryParseTick(string line, out DateTimeOffset printedAt)
    {
        printedAt = default;
        if (!line.StartsWith("tick ", StringComparison.Ordinal)
            || !decimal.TryParse(line.AsSpan(5), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var seconds))
        {
            return false;
        }

        printedAt = DateTimeOffset.UnixEpoch.AddTicks((long)(seconds * TimeSpan.TicksPerSecond));
        return true;
    }
}
