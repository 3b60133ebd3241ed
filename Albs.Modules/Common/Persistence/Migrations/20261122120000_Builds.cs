using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Albs.Modules.Common.Persistence.Migrations;

/// <summary>Builds, their sources, tasks (the dispatch queue) and artifacts.</summary>
[DbContext(typeof(AlbsDbContext))]
[Migration("20261122120000_Builds")]
internal sealed class Builds : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.CreateTable(
            name: "builds_builds",
            columns: table => new
            {
                id = table.Column<long>(nullable: false).AutoIncrement(),
                created_by_id = table.Column<string>(maxLength: 64, nullable: false),
                created_by_name = table.Column<string>(maxLength: 256, nullable: false),
                created_at = table.Column<DateTime>(nullable: false),
                finished_at = table.Column<DateTime>(nullable: true),
                status = table.Column<string>(maxLength: 16, nullable: false),
                independent_tasks = table.Column<bool>(nullable: false),
                priority = table.Column<int>(nullable: false),
                mock_options = table.Column<string>(nullable: false),
                linked_builds = table.Column<string>(nullable: false),
            },
            constraints: table => table.PrimaryKey("pk_builds_builds", x => x.id));
        migrationBuilder.CreateIndex("ix_builds_builds_created_at", "builds_builds", "created_at");
        migrationBuilder.CreateIndex("ix_builds_builds_status_created_at", "builds_builds", ["status", "created_at"]);
        migrationBuilder.CreateIndex("ix_builds_builds_created_by_name", "builds_builds", "created_by_name");

        migrationBuilder.CreateTable(
            name: "builds_sources",
            columns: table => new
            {
                id = table.Column<long>(nullable: false).AutoIncrement(),
                build_id = table.Column<long>(nullable: false),
                position = table.Column<int>(nullable: false),
                kind = table.Column<string>(maxLength: 8, nullable: false),
                url = table.Column<string>(maxLength: 2048, nullable: false),
                package = table.Column<string>(maxLength: 255, nullable: false),
                @ref = table.Column<string>(name: "ref", maxLength: 255, nullable: true),
                ref_kind = table.Column<string>(maxLength: 8, nullable: true),
                commit_id = table.Column<string>(maxLength: 64, nullable: true),
            },
            constraints: table =>
            {
                table.PrimaryKey("pk_builds_sources", x => x.id);
                table.ForeignKey("fk_builds_sources_build_id", x => x.build_id, "builds_builds", "id", onDelete: ReferentialAction.Cascade);
            });
        migrationBuilder.CreateIndex("ix_builds_sources_build_id_position", "builds_sources", ["build_id", "position"], unique: true);
        migrationBuilder.CreateIndex("ix_builds_sources_package", "builds_sources", "package");

        migrationBuilder.CreateTable(
            name: "builds_tasks",
            columns: table => new
            {
                id = table.Column<long>(nullable: false).AutoIncrement(),
                build_id = table.Column<long>(nullable: false),
                source_id = table.Column<long>(nullable: false),
                platform = table.Column<string>(maxLength: 64, nullable: false),
                arch = table.Column<string>(maxLength: 16, nullable: false),
                status = table.Column<string>(maxLength: 16, nullable: false),
                srpm_task_id = table.Column<long>(nullable: true),
                after_task_id = table.Column<long>(nullable: true),
                submitter = table.Column<string>(maxLength: 256, nullable: false),
                priority = table.Column<int>(nullable: false),
                attempt = table.Column<int>(nullable: false),
                agent_name = table.Column<string>(maxLength: 64, nullable: true),
                lease_owner = table.Column<string>(maxLength: 200, nullable: true),
                lease_expires_at = table.Column<DateTime>(nullable: true),
                created_at = table.Column<DateTime>(nullable: false),
                started_at = table.Column<DateTime>(nullable: true),
                finished_at = table.Column<DateTime>(nullable: true),
                error = table.Column<string>(nullable: true),
            },
            constraints: table =>
            {
                table.PrimaryKey("pk_builds_tasks", x => x.id);
                table.ForeignKey("fk_builds_tasks_build_id", x => x.build_id, "builds_builds", "id", onDelete: ReferentialAction.Cascade);
                table.ForeignKey("fk_builds_tasks_source_id", x => x.source_id, "builds_sources", "id", onDelete: ReferentialAction.Restrict);
            });
        migrationBuilder.CreateIndex("ix_builds_tasks_build_id", "builds_tasks", "build_id");
        migrationBuilder.CreateIndex("ix_builds_tasks_source_id", "builds_tasks", "source_id");
        migrationBuilder.CreateIndex("ix_builds_tasks_status_arch", "builds_tasks", ["status", "arch"]);
        migrationBuilder.CreateIndex("ix_builds_tasks_status_lease_expires_at", "builds_tasks", ["status", "lease_expires_at"]);
        migrationBuilder.CreateIndex("ix_builds_tasks_srpm_task_id", "builds_tasks", "srpm_task_id");
        migrationBuilder.CreateIndex("ix_builds_tasks_after_task_id", "builds_tasks", "after_task_id");

        migrationBuilder.CreateTable(
            name: "builds_artifacts",
            columns: table => new
            {
                id = table.Column<long>(nullable: false).AutoIncrement(),
                task_id = table.Column<long>(nullable: false),
                name = table.Column<string>(maxLength: 255, nullable: false),
                type = table.Column<string>(maxLength: 8, nullable: false),
                size = table.Column<long>(nullable: false),
                sha256 = table.Column<string>(maxLength: 64, nullable: false),
                nevra = table.Column<string>(maxLength: 512, nullable: true),
                source_rpm = table.Column<string>(maxLength: 512, nullable: true),
                created_at = table.Column<DateTime>(nullable: false),
            },
            constraints: table =>
            {
                table.PrimaryKey("pk_builds_artifacts", x => x.id);
                table.ForeignKey("fk_builds_artifacts_task_id", x => x.task_id, "builds_tasks", "id", onDelete: ReferentialAction.Cascade);
            });
        migrationBuilder.CreateIndex("ix_builds_artifacts_task_id_name", "builds_artifacts", ["task_id", "name"], unique: true);
        migrationBuilder.CreateIndex("ix_builds_artifacts_sha256", "builds_artifacts", "sha256");
        migrationBuilder.CreateIndex("ix_builds_artifacts_nevra", "builds_artifacts", "nevra");
    }

    protected override void Down(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.DropTable("builds_artifacts");
        migrationBuilder.DropTable("builds_tasks");
        migrationBuilder.DropTable("builds_sources");
        migrationBuilder.DropTable("builds_builds");
    }
}
