using Albs.Modules.Agents.Registry;

namespace Albs.Tests.Agents;

public sealed class HostKeysTests
{
    private const string Ed25519 = "AAAAC3NzaC1lZDI1NTE5AAAAIBuhaOB5V9vKj8iL6/tHVqj7N4KPvZi5oTuYGgrlpmP0";

    [Theory]
    [InlineData("builder1.example.org ssh-ed25519 " + Ed25519)]
    [InlineData("[127.0.0.1]:2222 ssh-ed25519 " + Ed25519 + " root@builder")]
    [InlineData("ssh-ed25519 " + Ed25519)]
    [InlineData("# a comment\n\n|1|salt=|hash= ssh-ed25519 " + Ed25519 + "\nother ssh-ed25519 " + Ed25519)]
    public void Known_hosts_lines_are_normalized_to_type_and_key(string text)
    {
        var (normalized, error) = HostKeys.Parse(text);
        error.Should().BeNull();
        normalized.Should().Be("ssh-ed25519 " + Ed25519);
        HostKeys.KnownHosts("albs-agent-a1", normalized!).Should().Be($"albs-agent-a1 ssh-ed25519 {Ed25519}\n");
    }

    [Fact]
    public void Fingerprints_match_ssh_keygen()
    {
        // ssh-keygen -lf prints SHA256:<unpadded base64 of the SHA-256 of the key blob>.
        HostKeys.Fingerprints("ssh-ed25519 " + Ed25519).Should().Equal(HostKeys.Fingerprint(Ed25519));
        HostKeys.Fingerprint(Ed25519).Should().MatchRegex("^SHA256:[A-Za-z0-9+/]{43}$");
    }

    [Theory]
    [InlineData("")]
    [InlineData("host ssh-dss AAAAB3NzaC1kc3M=")]
    [InlineData("host ssh-rsa " + Ed25519)]
    [InlineData("host ssh-ed25519")]
    public void Anything_else_is_refused(string text) =>
        HostKeys.Parse(text).Error.Should().NotBeNull();
}
