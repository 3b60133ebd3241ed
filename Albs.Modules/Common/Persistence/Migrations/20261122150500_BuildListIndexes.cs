using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Albs.Modules.Common.Persistence.Migrations;

/// <summary>
/// The build list at scale: indexes for each filter that end in the build id (the list's order), so a filter
/// is an index range read in id order and a package/platform/arch filter is <c>build_id IN (index range)</c>;
/// and the artifacts' NEVRA split into name, epoch, version, release, arch (filled for existing rows here,
/// by the server for new ones) with an index on name, version, release for the <c>nevra</c> filter.
/// </summary>
[DbContext(typeof(AlbsDbContext))]
[Migration("20261122150500_BuildListIndexes")]
internal sealed class BuildListIndexes : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.DropIndex("ix_builds_builds_created_by_name", "builds_builds");
        migrationBuilder.CreateIndex("ix_builds_builds_created_by_name_id", "builds_builds", ["created_by_name", "id"]);
        migrationBuilder.CreateIndex("ix_builds_builds_status_id", "builds_builds", ["status", "id"]);
        migrationBuilder.CreateIndex("ix_builds_builds_product_name_id", "builds_builds", ["product_name", "id"]);

        migrationBuilder.DropIndex("ix_builds_sources_package", "builds_sources");
        migrationBuilder.CreateIndex("ix_builds_sources_package_build_id", "builds_sources", ["package", "build_id"]);

        migrationBuilder.CreateIndex("ix_builds_tasks_platform_build_id", "builds_tasks", ["platform", "build_id"]);
        migrationBuilder.CreateIndex("ix_builds_tasks_arch_build_id", "builds_tasks", ["arch", "build_id"]);

        migrationBuilder.AddColumn<string>("rpm_name", "builds_artifacts", maxLength: 255, nullable: true);
        migrationBuilder.AddColumn<int>("rpm_epoch", "builds_artifacts", nullable: true);
        migrationBuilder.AddColumn<string>("rpm_version", "builds_artifacts", maxLength: 255, nullable: true);
        migrationBuilder.AddColumn<string>("rpm_release", "builds_artifacts", maxLength: 255, nullable: true);
        migrationBuilder.AddColumn<string>("rpm_arch", "builds_artifacts", maxLength: 32, nullable: true);

        // Existing packages: nevra is name-[epoch:]version-release.arch (the arch after the last dot, the
        // release after the last dash, the [epoch:]version after the one before).
        if (migrationBuilder.IsNpgsql())
        {
            migrationBuilder.Sql("""
                UPDATE builds_artifacts SET
                    rpm_name = substring(nevra from '^(.+)-[^-]+-[^-]+\.[^.-]+$'),
                    rpm_epoch = CAST(substring(nevra from '^.+-([0-9]+):[^-]+-[^-]+\.[^.-]+$') AS integer),
                    rpm_version = substring(nevra from '^.+-(?:[0-9]+:)?([^-:]+)-[^-]+\.[^.-]+$'),
                    rpm_release = substring(nevra from '^.+-[^-]+-([^-]+)\.[^.-]+$'),
                    rpm_arch = substring(nevra from '^.+-[^-]+-[^-]+\.([^.-]+)$')
                 WHERE nevra ~ '^.+-(?:[0-9]+:)?[^-:]+-[^-]+\.[^.-]+$';
                """);
        }
        else
        {
            // SQLite has no regular expressions: rtrim(s, replace(s, '.', '')) keeps s up to its last dot.
            migrationBuilder.Sql("""
                UPDATE builds_artifacts SET
                    rpm_arch = p.arch, rpm_release = p.release, rpm_name = p.name,
                    rpm_epoch = CASE WHEN instr(p.ev, ':') > 0 THEN CAST(substr(p.ev, 1, instr(p.ev, ':') - 1) AS INTEGER) END,
                    rpm_version = CASE WHEN instr(p.ev, ':') > 0 THEN substr(p.ev, instr(p.ev, ':') + 1) ELSE p.ev END
                FROM (
                    SELECT id, arch, release, substr(nev, length(rtrim(nev, replace(nev, '-', ''))) + 1) AS ev,
                           substr(nev, 1, length(rtrim(nev, replace(nev, '-', ''))) - 1) AS name
                      FROM (
                        SELECT id, arch, substr(nevr, length(rtrim(nevr, replace(nevr, '-', ''))) + 1) AS release,
                               substr(nevr, 1, length(rtrim(nevr, replace(nevr, '-', ''))) - 1) AS nev
                          FROM (
                            SELECT id, substr(nevra, length(rtrim(nevra, replace(nevra, '.', ''))) + 1) AS arch,
                                   substr(nevra, 1, length(rtrim(nevra, replace(nevra, '.', ''))) - 1) AS nevr
                              FROM builds_artifacts WHERE nevra IS NOT NULL))) AS p
                 WHERE builds_artifacts.id = p.id AND p.name <> '' AND p.ev <> '' AND p.release <> '' AND p.arch <> '';
                """);
        }

        migrationBuilder.CreateIndex("ix_builds_artifacts_rpm_name_rpm_version_rpm_release", "builds_artifacts", ["rpm_name", "rpm_version", "rpm_release"]);
    }

    protected override void Down(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.DropIndex("ix_builds_artifacts_rpm_name_rpm_version_rpm_release", "builds_artifacts");
        migrationBuilder.DropColumn("rpm_arch", "builds_artifacts");
        migrationBuilder.DropColumn("rpm_release", "builds_artifacts");
        migrationBuilder.DropColumn("rpm_version", "builds_artifacts");
        migrationBuilder.DropColumn("rpm_epoch", "builds_artifacts");
        migrationBuilder.DropColumn("rpm_name", "builds_artifacts");
        migrationBuilder.DropIndex("ix_builds_tasks_arch_build_id", "builds_tasks");
        migrationBuilder.DropIndex("ix_builds_tasks_platform_build_id", "builds_tasks");
        migrationBuilder.DropIndex("ix_builds_sources_package_build_id", "builds_sources");
        migrationBuilder.CreateIndex("ix_builds_sources_package", "builds_sources", "package");
        migrationBuilder.DropIndex("ix_builds_builds_product_name_id", "builds_builds");
        migrationBuilder.DropIndex("ix_builds_builds_status_id", "builds_builds");
        migrationBuilder.DropIndex("ix_builds_builds_created_by_name_id", "builds_builds");
        migrationBuilder.CreateIndex("ix_builds_builds_created_by_name", "builds_builds", "created_by_name");
    }
}
