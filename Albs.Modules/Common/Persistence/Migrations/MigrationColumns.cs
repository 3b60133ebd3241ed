using Microsoft.EntityFrameworkCore.Migrations.Operations;
using Microsoft.EntityFrameworkCore.Migrations.Operations.Builders;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

namespace Albs.Modules.Common.Persistence.Migrations;

/// <summary>
/// Helpers that keep hand-written migrations provider-neutral: column store types are left to the
/// provider, and an auto-increment key carries the annotation each provider understands.
/// </summary>
internal static class MigrationColumns
{
    public static OperationBuilder<AddColumnOperation> AutoIncrement(this OperationBuilder<AddColumnOperation> column) =>
        column
            .Annotation("Sqlite:Autoincrement", true)
            .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn);
}
