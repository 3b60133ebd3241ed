using Albs.Modules.Common.Persistence;
using Albs.Tests.Support;

namespace Albs.Tests.Common.Persistence;

public sealed class StoreConventionsTests
{
    [Theory]
    [InlineData("Id", "id")]
    [InlineData("LeaseExpiresAt", "lease_expires_at")]
    [InlineData("NormalizedUserName", "normalized_user_name")]
    [InlineData("SHA256", "sha256")]
    [InlineData("Sha256Digest", "sha256_digest")]
    [InlineData("HTTPUrl", "http_url")]
    [InlineData("already_snake", "already_snake")]
    public void Property_names_become_snake_case_columns(string property, string column) =>
        StoreConventions.ToSnakeCase(property).Should().Be(column);

    [Fact]
    public void Timestamps_read_back_as_utc_on_sqlite()
    {
        using var database = TestDatabase.Sqlite();
        using var db = database.CreateContext();
        db.Database.EnsureCreated();
        var job = new Albs.Modules.Common.Jobs.Job { Queue = "q", Kind = "k", Payload = "", MaxAttempts = 1, NotBefore = new DateTime(2026, 11, 22, 4, 0, 0, DateTimeKind.Utc), CreatedAt = DateTime.UtcNow };
        db.Add(job);
        db.SaveChanges();
        db.ChangeTracker.Clear();
        var read = db.Set<Albs.Modules.Common.Jobs.Job>().Single();
        read.NotBefore.Kind.Should().Be(DateTimeKind.Utc);
        read.NotBefore.Should().Be(new DateTime(2026, 11, 22, 4, 0, 0, DateTimeKind.Utc));
    }
}
