using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Albs.Modules.Common.Persistence.Migrations;

/// <summary>Build agents reached over SSH (the Agents module).</summary>
[DbContext(typeof(AlbsDbContext))]
[Migration("20261122110000_Agents")]
internal sealed class Agents : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.CreateTable(
            name: "agents_agents",
            columns: table => new
            {
                id = table.Column<long>(nullable: false).AutoIncrement(),
                name = table.Column<string>(maxLength: 63, nullable: false),
                host = table.Column<string>(maxLength: 253, nullable: false),
                port = table.Column<int>(nullable: false),
                user_name = table.Column<string>(maxLength: 32, nullable: false),
                private_key_protected = table.Column<string>(nullable: true),
                private_key_path = table.Column<string>(maxLength: 1024, nullable: true),
                host_key = table.Column<string>(nullable: false),
                arches = table.Column<string>(maxLength: 200, nullable: false),
                slots = table.Column<int>(nullable: false),
                work_directory = table.Column<string>(maxLength: 1024, nullable: false),
                enabled = table.Column<bool>(nullable: false),
                maintenance = table.Column<bool>(nullable: false),
                state = table.Column<string>(maxLength: 32, nullable: false),
                last_seen_at = table.Column<DateTime>(nullable: true),
                last_error = table.Column<string>(maxLength: 2000, nullable: true),
                load1 = table.Column<double>(nullable: true),
                created_at = table.Column<DateTime>(nullable: false),
                updated_at = table.Column<DateTime>(nullable: false),
            },
            constraints: table => table.PrimaryKey("pk_agents_agents", x => x.id));
        migrationBuilder.CreateIndex("ix_agents_agents_name", "agents_agents", "name", unique: true);
    }

    protected override void Down(MigrationBuilder migrationBuilder) => migrationBuilder.DropTable("agents_agents");
}
