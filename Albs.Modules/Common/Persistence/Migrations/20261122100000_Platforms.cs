using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Albs.Modules.Common.Persistence.Migrations;

/// <summary>Build platforms; lists and dictionaries are JSON text columns on both providers.</summary>
[DbContext(typeof(AlbsDbContext))]
[Migration("20261122100000_Platforms")]
internal sealed class Platforms : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.CreateTable(
            name: "platforms_platforms",
            columns: table => new
            {
                id = table.Column<long>(nullable: false).AutoIncrement(),
                name = table.Column<string>(maxLength: 64, nullable: false),
                normalized_name = table.Column<string>(maxLength: 64, nullable: false),
                distribution_name = table.Column<string>(maxLength: 64, nullable: false),
                distribution_version = table.Column<string>(maxLength: 32, nullable: false),
                arches = table.Column<string>(nullable: false),
                noarch_arch = table.Column<string>(maxLength: 16, nullable: false),
                dist_tag = table.Column<string>(maxLength: 40, nullable: false),
                rpm_macros = table.Column<string>(nullable: false),
                repositories = table.Column<string>(nullable: false),
                mock_template = table.Column<string>(nullable: false),
                timeout_minutes = table.Column<int>(nullable: false),
                is_active = table.Column<bool>(nullable: false),
                created_at = table.Column<DateTime>(nullable: false),
                updated_at = table.Column<DateTime>(nullable: false),
            },
            constraints: table => table.PrimaryKey("pk_platforms_platforms", x => x.id));
        migrationBuilder.CreateIndex("ix_platforms_platforms_normalized_name", "platforms_platforms", "normalized_name", unique: true);
    }

    protected override void Down(MigrationBuilder migrationBuilder) => migrationBuilder.DropTable("platforms_platforms");
}
