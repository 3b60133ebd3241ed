using System.Collections.Concurrent;
using System.Data.Common;
using Albs.Modules.Common.Persistence;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection;

namespace Albs.Tests.Builds;

/// <summary>
/// A dispatch round reads once, for all the tasks it starts, their platforms and the tasks with their
/// builds and sources. When that shared read fails (the database, a moment ago), each task reads what
/// it needs again on its own: the round's other work and the build go on, nothing fails for it. The
/// failure is injected into the real database's commands by a command interceptor, once, into the
/// first command that is the round's read; the agent is registered only after the build waits, so the
/// round that starts its tasks comes after the fault is armed.
/// </summary>
public sealed class RoundReadFaultTests : BuildAgentTest
{
    private readonly FailingCommands faults = new();

    internal override Action<IServiceCollection>? HostServices =>
        services => services.ConfigureDbContext<AlbsDbContext>((_, options) => options.AddInterceptors(faults));

    [Fact]
    public async Task When_the_rounds_read_of_its_started_tasks_fails_each_task_reads_itself_and_the_build_completes()
    {
        var build = await SubmitAsync(Demo(Hello.Url));
        // The round's read names the started tasks as a list (EF's parameters @ids1, @ids2, …); a task's
        // own read, and a read of the build, name one id.
        faults.FailNext(sql => sql.Contains("@ids1", StringComparison.Ordinal)
            && sql.Contains("\"builds_sources\"", StringComparison.Ordinal) && sql.Contains("\"builds_builds\"", StringComparison.Ordinal));
        await RegisterAgentAsync("builder1");

        var ended = await WaitForEndAsync(build.Id);

        faults.Failed.Should().ContainSingle("the round's read failed once").Which.Should().Contain("\"builds_tasks\"");
        ended.Status.Should().Be("completed", string.Join("; ", ended.Tasks.Select(t => $"{t.Arch}: {t.Status} {t.Error}")));
        ended.Tasks.Should().OnlyContain(t => t.Attempt == 1, "no task failed or was retried for the round's read");
    }

    [Fact]
    public async Task When_the_rounds_lookup_of_a_platform_fails_each_task_looks_it_up_again_and_the_build_completes()
    {
        var build = await SubmitAsync(Demo(Hello.Url));
        faults.FailNext(sql => sql.Contains("\"platforms_platforms\"", StringComparison.Ordinal));
        await RegisterAgentAsync("builder1");

        var ended = await WaitForEndAsync(build.Id);

        faults.Failed.Should().ContainSingle("the round's platform lookup failed once");
        ended.Status.Should().Be("completed", string.Join("; ", ended.Tasks.Select(t => $"{t.Arch}: {t.Status} {t.Error}")));
        ended.Tasks.Should().OnlyContain(t => t.Attempt == 1, "no task failed or was retried for the round's lookup");
    }

    /// <summary>Fails the next command matching a predicate, once, as a database error would.</summary>
    private sealed class FailingCommands : DbCommandInterceptor
    {
        private Func<string, bool>? armed;

        public ConcurrentQueue<string> Failed { get; } = new();

        public void FailNext(Func<string, bool> which) => Volatile.Write(ref armed, which);

        public override InterceptionResult<DbDataReader> ReaderExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result)
        {
            Check(command);
            return result;
        }

        public override ValueTask<InterceptionResult<DbDataReader>> ReaderExecutingAsync(
            DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result, CancellationToken cancellationToken = default)
        {
            Check(command);
            return ValueTask.FromResult(result);
        }

        private void Check(DbCommand command)
        {
            var which = Volatile.Read(ref armed);
            if (which is not null && which(command.CommandText) && Interlocked.CompareExchange(ref armed, null, which) == which)
            {
                Failed.Enqueue(command.CommandText);
                throw new InjectedFault();
            }
        }
    }

    private sealed class InjectedFault() : DbException("injected: the database failed this command");
}
