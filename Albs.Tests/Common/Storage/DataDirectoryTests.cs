using Albs.Modules.Common.Storage;

namespace Albs.Tests.Common.Storage;

public sealed class DataDirectoryTests : IDisposable
{
    private readonly string root = Path.Combine(Path.GetTempPath(), "albs-dd-" + Guid.NewGuid().ToString("N")[..8], "data");

    public void Dispose() => Directory.Delete(Path.GetDirectoryName(root)!, recursive: true);

    [Fact]
    public void The_directory_is_created_and_paths_inside_it_resolve()
    {
        var data = new DataDirectory(root);
        Directory.Exists(root).Should().BeTrue();
        data.Combine("keys").Should().Be(Path.Combine(root, "keys"));
        data.Combine("artifacts", "ab", "cdef").Should().Be(Path.Combine(root, "artifacts", "ab", "cdef"));
    }

    [Theory]
    [InlineData("..")]
    [InlineData("../data2")]
    [InlineData("logs/../../etc")]
    [InlineData("/etc/passwd")]
    public void Parts_that_lead_outside_are_refused(string part)
    {
        var data = new DataDirectory(root);
        var act = () => data.Combine(part);
        act.Should().Throw<ArgumentException>().WithMessage("*escapes the data directory*");
    }
}
