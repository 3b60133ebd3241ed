using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Albs.Modules.Common.Persistence.Migrations;

/// <summary>
/// RBAC (the Identity module): teams, their members' roles, products; the append-only audit log;
/// API tokens limited to a product; the product a build belongs to.
/// </summary>
[DbContext(typeof(AlbsDbContext))]
[Migration("20261122140000_Rbac")]
internal sealed class Rbac : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.CreateTable(
            name: "identity_teams",
            columns: table => new
            {
                id = table.Column<long>(nullable: false).AutoIncrement(),
                name = table.Column<string>(maxLength: 63, nullable: false),
                normalized_name = table.Column<string>(maxLength: 63, nullable: false),
                description = table.Column<string>(maxLength: 2000, nullable: true),
                created_at = table.Column<DateTime>(nullable: false),
            },
            constraints: table => table.PrimaryKey("pk_identity_teams", x => x.id));
        migrationBuilder.CreateIndex("ix_identity_teams_normalized_name", "identity_teams", "normalized_name", unique: true);

        migrationBuilder.CreateTable(
            name: "identity_team_members",
            columns: table => new
            {
                team_id = table.Column<long>(nullable: false),
                user_id = table.Column<string>(maxLength: 64, nullable: false),
                role = table.Column<string>(maxLength: 32, nullable: false),
                granted_at = table.Column<DateTime>(nullable: false),
            },
            constraints: table =>
            {
                table.PrimaryKey("pk_identity_team_members", x => new { x.team_id, x.user_id, x.role });
                table.ForeignKey("fk_identity_team_members_team_id", x => x.team_id, "identity_teams", "id", onDelete: ReferentialAction.Cascade);
                table.ForeignKey("fk_identity_team_members_user_id", x => x.user_id, "identity_users", "id", onDelete: ReferentialAction.Cascade);
            });
        migrationBuilder.CreateIndex("ix_identity_team_members_user_id", "identity_team_members", "user_id");

        migrationBuilder.CreateTable(
            name: "identity_products",
            columns: table => new
            {
                id = table.Column<long>(nullable: false).AutoIncrement(),
                name = table.Column<string>(maxLength: 63, nullable: false),
                normalized_name = table.Column<string>(maxLength: 63, nullable: false),
                title = table.Column<string>(maxLength: 200, nullable: false),
                description = table.Column<string>(maxLength: 2000, nullable: true),
                team_id = table.Column<long>(nullable: false),
                is_community = table.Column<bool>(nullable: false),
                created_at = table.Column<DateTime>(nullable: false),
            },
            constraints: table =>
            {
                table.PrimaryKey("pk_identity_products", x => x.id);
                table.ForeignKey("fk_identity_products_team_id", x => x.team_id, "identity_teams", "id", onDelete: ReferentialAction.Restrict);
            });
        migrationBuilder.CreateIndex("ix_identity_products_normalized_name", "identity_products", "normalized_name", unique: true);
        migrationBuilder.CreateIndex("ix_identity_products_team_id", "identity_products", "team_id");

        migrationBuilder.CreateTable(
            name: "identity_audit_log",
            columns: table => new
            {
                id = table.Column<long>(nullable: false).AutoIncrement(),
                at = table.Column<DateTime>(nullable: false),
                actor_id = table.Column<string>(maxLength: 64, nullable: true),
                actor = table.Column<string>(maxLength: 256, nullable: false),
                action = table.Column<string>(maxLength: 100, nullable: false),
                object_type = table.Column<string>(maxLength: 64, nullable: false),
                object_id = table.Column<string>(maxLength: 256, nullable: false),
                details = table.Column<string>(nullable: true),
                remote_address = table.Column<string>(maxLength: 64, nullable: true),
            },
            constraints: table => table.PrimaryKey("pk_identity_audit_log", x => x.id));
        migrationBuilder.CreateIndex("ix_identity_audit_log_at", "identity_audit_log", "at");
        migrationBuilder.CreateIndex("ix_identity_audit_log_action_at", "identity_audit_log", ["action", "at"]);
        migrationBuilder.CreateIndex("ix_identity_audit_log_object_type_object_id", "identity_audit_log", ["object_type", "object_id"]);
        migrationBuilder.CreateIndex("ix_identity_audit_log_actor", "identity_audit_log", "actor");

        // Append-only below the application: no UPDATE, DELETE (or TRUNCATE) gets through,
        // whatever code path or raw SQL tries it.
        if (migrationBuilder.IsNpgsql())
        {
            migrationBuilder.Sql("""
                CREATE FUNCTION identity_audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    RAISE EXCEPTION 'identity_audit_log is append-only';
                END $$;
                CREATE TRIGGER identity_audit_log_no_change BEFORE UPDATE OR DELETE ON identity_audit_log
                    FOR EACH ROW EXECUTE FUNCTION identity_audit_log_append_only();
                CREATE TRIGGER identity_audit_log_no_truncate BEFORE TRUNCATE ON identity_audit_log
                    FOR EACH STATEMENT EXECUTE FUNCTION identity_audit_log_append_only();
                """);
        }
        else
        {
            migrationBuilder.Sql("""
                CREATE TRIGGER identity_audit_log_no_update BEFORE UPDATE ON identity_audit_log
                BEGIN SELECT RAISE(ABORT, 'identity_audit_log is append-only'); END;
                """);
            migrationBuilder.Sql("""
                CREATE TRIGGER identity_audit_log_no_delete BEFORE DELETE ON identity_audit_log
                BEGIN SELECT RAISE(ABORT, 'identity_audit_log is append-only'); END;
                """);
        }

        migrationBuilder.AddColumn<long>("product_id", "identity_api_tokens", nullable: true);
        migrationBuilder.CreateIndex("ix_identity_api_tokens_product_id", "identity_api_tokens", "product_id");

        migrationBuilder.AddColumn<long>("product_id", "builds_builds", nullable: true);
        migrationBuilder.AddColumn<string>("product_name", "builds_builds", maxLength: 63, nullable: true);
        migrationBuilder.CreateIndex("ix_builds_builds_product_id_created_at", "builds_builds", ["product_id", "created_at"]);
    }

    protected override void Down(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.DropIndex("ix_builds_builds_product_id_created_at", "builds_builds");
        migrationBuilder.DropColumn("product_name", "builds_builds");
        migrationBuilder.DropColumn("product_id", "builds_builds");
        migrationBuilder.DropIndex("ix_identity_api_tokens_product_id", "identity_api_tokens");
        migrationBuilder.DropColumn("product_id", "identity_api_tokens");
        migrationBuilder.DropTable("identity_audit_log");
        if (migrationBuilder.IsNpgsql())
        {
            migrationBuilder.Sql("DROP FUNCTION IF EXISTS identity_audit_log_append_only();");
        }

        migrationBuilder.DropTable("identity_products");
        migrationBuilder.DropTable("identity_team_members");
        migrationBuilder.DropTable("identity_teams");
    }
}
