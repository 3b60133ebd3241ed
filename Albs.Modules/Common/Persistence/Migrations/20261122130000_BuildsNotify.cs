using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Albs.Modules.Common.Persistence.Migrations;

/// <summary>
/// Cross-host dispatch wake-ups on PostgreSQL: <c>NOTIFY albs_builds</c> when a build task is
/// created or ends (so tasks may become ready and agent slots free up) and when an agent changes
/// state. Delivered at commit; identical notifications within a transaction are folded into one.
/// </summary>
[DbContext(typeof(AlbsDbContext))]
[Migration("20261122130000_BuildsNotify")]
internal sealed class BuildsNotify : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        if (migrationBuilder.IsNpgsql())
        {
            migrationBuilder.Sql("""
                CREATE FUNCTION builds_notify() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    PERFORM pg_notify('albs_builds', TG_TABLE_NAME);
                    RETURN NULL;
                END $$;
                CREATE TRIGGER builds_tasks_notify AFTER INSERT OR UPDATE OF status ON builds_tasks
                    FOR EACH ROW WHEN (NEW.status <> 'started') EXECUTE FUNCTION builds_notify();
                CREATE TRIGGER agents_agents_notify AFTER UPDATE ON agents_agents
                    FOR EACH ROW WHEN (OLD.state IS DISTINCT FROM NEW.state OR OLD.enabled <> NEW.enabled
                        OR OLD.maintenance <> NEW.maintenance OR OLD.slots <> NEW.slots OR OLD.arches <> NEW.arches)
                    EXECUTE FUNCTION builds_notify();
                """);
        }
    }

    protected override void Down(MigrationBuilder migrationBuilder)
    {
        if (migrationBuilder.IsNpgsql())
        {
            migrationBuilder.Sql("""
                DROP TRIGGER IF EXISTS builds_tasks_notify ON builds_tasks;
                DROP TRIGGER IF EXISTS agents_agents_notify ON agents_agents;
                DROP FUNCTION IF EXISTS builds_notify();
                """);
        }
    }
}
