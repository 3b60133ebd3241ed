using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Albs.Modules.Common.Persistence.Migrations;

/// <summary>
/// The dashboard's queue: tasks by status and creation time, so "the oldest waiting task" is one index
/// lookup instead of a read of every idle task (docs/performance.md, the dashboard).
/// </summary>
[DbContext(typeof(AlbsDbContext))]
[Migration("20261122160000_DashboardIndexes")]
internal sealed class DashboardIndexes : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder) =>
        migrationBuilder.CreateIndex("ix_builds_tasks_status_created_at", "builds_tasks", ["status", "created_at"]);

    protected override void Down(MigrationBuilder migrationBuilder) =>
        migrationBuilder.DropIndex("ix_builds_tasks_status_created_at", "builds_tasks");
}
