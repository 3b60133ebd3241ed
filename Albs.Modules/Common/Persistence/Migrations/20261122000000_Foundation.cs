using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Albs.Modules.Common.Persistence.Migrations;

/// <summary>The job queue (which is also the event outbox) and the identity tables.</summary>
[DbContext(typeof(AlbsDbContext))]
[Migration("20261122000000_Foundation")]
internal sealed class Foundation : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.CreateTable(
            name: "common_jobs",
            columns: table => new
            {
                id = table.Column<long>(nullable: false).AutoIncrement(),
                queue = table.Column<string>(maxLength: 64, nullable: false),
                kind = table.Column<string>(maxLength: 200, nullable: false),
                payload = table.Column<string>(nullable: false),
                status = table.Column<string>(maxLength: 16, nullable: false),
                priority = table.Column<int>(nullable: false),
                attempt = table.Column<int>(nullable: false),
                max_attempts = table.Column<int>(nullable: false),
                not_before = table.Column<DateTime>(nullable: false),
                lease_owner = table.Column<string>(maxLength: 200, nullable: true),
                lease_expires_at = table.Column<DateTime>(nullable: true),
                created_at = table.Column<DateTime>(nullable: false),
                started_at = table.Column<DateTime>(nullable: true),
                finished_at = table.Column<DateTime>(nullable: true),
                last_error = table.Column<string>(nullable: true),
            },
            constraints: table => table.PrimaryKey("pk_common_jobs", x => x.id));
        migrationBuilder.CreateIndex("ix_common_jobs_queue_status_not_before", "common_jobs", ["queue", "status", "not_before"]);
        migrationBuilder.CreateIndex("ix_common_jobs_status_lease_expires_at", "common_jobs", ["status", "lease_expires_at"]);

        if (migrationBuilder.IsNpgsql())
        {
            // Cross-host wake-up: delivered by PostgreSQL when the inserting/updating transaction
            // commits (identical payloads within one transaction are folded into one).
            migrationBuilder.Sql("""
                CREATE FUNCTION common_jobs_notify() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    PERFORM pg_notify('albs_jobs', NEW.queue);
                    RETURN NULL;
                END $$;
                CREATE TRIGGER common_jobs_notify AFTER INSERT OR UPDATE OF status ON common_jobs
                    FOR EACH ROW WHEN (NEW.status = 'ready') EXECUTE FUNCTION common_jobs_notify();
                """);
        }

        migrationBuilder.CreateTable(
            name: "identity_users",
            columns: table => new
            {
                id = table.Column<string>(maxLength: 64, nullable: false),
                is_superuser = table.Column<bool>(nullable: false),
                created_at = table.Column<DateTime>(nullable: false),
                user_name = table.Column<string>(maxLength: 256, nullable: true),
                normalized_user_name = table.Column<string>(maxLength: 256, nullable: true),
                email = table.Column<string>(maxLength: 256, nullable: true),
                normalized_email = table.Column<string>(maxLength: 256, nullable: true),
                email_confirmed = table.Column<bool>(nullable: false),
                password_hash = table.Column<string>(nullable: true),
                security_stamp = table.Column<string>(nullable: true),
                concurrency_stamp = table.Column<string>(nullable: true),
                phone_number = table.Column<string>(nullable: true),
                phone_number_confirmed = table.Column<bool>(nullable: false),
                two_factor_enabled = table.Column<bool>(nullable: false),
                lockout_end = table.Column<DateTimeOffset>(nullable: true),
                lockout_enabled = table.Column<bool>(nullable: false),
                access_failed_count = table.Column<int>(nullable: false),
            },
            constraints: table => table.PrimaryKey("pk_identity_users", x => x.id));
        migrationBuilder.CreateIndex("ix_identity_users_normalized_user_name", "identity_users", "normalized_user_name", unique: true);
        migrationBuilder.CreateIndex("ix_identity_users_normalized_email", "identity_users", "normalized_email");

        migrationBuilder.CreateTable(
            name: "identity_user_claims",
            columns: table => new
            {
                id = table.Column<int>(nullable: false).AutoIncrement(),
                user_id = table.Column<string>(maxLength: 64, nullable: false),
                claim_type = table.Column<string>(nullable: true),
                claim_value = table.Column<string>(nullable: true),
            },
            constraints: table =>
            {
                table.PrimaryKey("pk_identity_user_claims", x => x.id);
                table.ForeignKey("fk_identity_user_claims_user_id", x => x.user_id, "identity_users", "id", onDelete: ReferentialAction.Cascade);
            });
        migrationBuilder.CreateIndex("ix_identity_user_claims_user_id", "identity_user_claims", "user_id");

        migrationBuilder.CreateTable(
            name: "identity_user_logins",
            columns: table => new
            {
                login_provider = table.Column<string>(maxLength: 128, nullable: false),
                provider_key = table.Column<string>(maxLength: 128, nullable: false),
                provider_display_name = table.Column<string>(nullable: true),
                user_id = table.Column<string>(maxLength: 64, nullable: false),
            },
            constraints: table =>
            {
                table.PrimaryKey("pk_identity_user_logins", x => new { x.login_provider, x.provider_key });
                table.ForeignKey("fk_identity_user_logins_user_id", x => x.user_id, "identity_users", "id", onDelete: ReferentialAction.Cascade);
            });
        migrationBuilder.CreateIndex("ix_identity_user_logins_user_id", "identity_user_logins", "user_id");

        migrationBuilder.CreateTable(
            name: "identity_user_tokens",
            columns: table => new
            {
                user_id = table.Column<string>(maxLength: 64, nullable: false),
                login_provider = table.Column<string>(maxLength: 128, nullable: false),
                name = table.Column<string>(maxLength: 128, nullable: false),
                value = table.Column<string>(nullable: true),
            },
            constraints: table =>
            {
                table.PrimaryKey("pk_identity_user_tokens", x => new { x.user_id, x.login_provider, x.name });
                table.ForeignKey("fk_identity_user_tokens_user_id", x => x.user_id, "identity_users", "id", onDelete: ReferentialAction.Cascade);
            });

        migrationBuilder.CreateTable(
            name: "identity_api_tokens",
            columns: table => new
            {
                id = table.Column<long>(nullable: false).AutoIncrement(),
                user_id = table.Column<string>(maxLength: 64, nullable: false),
                name = table.Column<string>(maxLength: 100, nullable: false),
                prefix = table.Column<string>(maxLength: 16, nullable: false),
                hash = table.Column<string>(maxLength: 64, nullable: false),
                created_at = table.Column<DateTime>(nullable: false),
                expires_at = table.Column<DateTime>(nullable: true),
                last_used_at = table.Column<DateTime>(nullable: true),
                revoked_at = table.Column<DateTime>(nullable: true),
            },
            constraints: table =>
            {
                table.PrimaryKey("pk_identity_api_tokens", x => x.id);
                table.ForeignKey("fk_identity_api_tokens_user_id", x => x.user_id, "identity_users", "id", onDelete: ReferentialAction.Cascade);
            });
        migrationBuilder.CreateIndex("ix_identity_api_tokens_hash", "identity_api_tokens", "hash", unique: true);
        migrationBuilder.CreateIndex("ix_identity_api_tokens_user_id", "identity_api_tokens", "user_id");
    }

    protected override void Down(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.DropTable("identity_api_tokens");
        migrationBuilder.DropTable("identity_user_tokens");
        migrationBuilder.DropTable("identity_user_logins");
        migrationBuilder.DropTable("identity_user_claims");
        migrationBuilder.DropTable("identity_users");
        if (migrationBuilder.IsNpgsql())
        {
            migrationBuilder.Sql("DROP TRIGGER IF EXISTS common_jobs_notify ON common_jobs; DROP FUNCTION IF EXISTS common_jobs_notify();");
        }

        migrationBuilder.DropTable("common_jobs");
    }
}
