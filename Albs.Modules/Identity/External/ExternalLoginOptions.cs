using System.Text.RegularExpressions;

namespace Albs.Modules.Identity.External;

/// <summary>
/// One provider under <c>Identity:External:&lt;Scheme&gt;</c>: an OAuth 2.0 authorization-code provider
/// with a JSON user endpoint, GitHub-style. A section named <c>GitHub</c> needs only
/// <see cref="ClientId"/> and <see cref="ClientSecret"/>; others name their endpoints.
/// </summary>
internal sealed partial class ExternalLoginOptions
{
    public const string SectionName = "Identity:External";

    public string? DisplayName { get; set; }

    public string? ClientId { get; set; }

    public string? ClientSecret { get; set; }

    public string? AuthorizationEndpoint { get; set; }

    public string? TokenEndpoint { get; set; }

    public string? UserInformationEndpoint { get; set; }

    /// <summary>Scopes to ask for; none by default (GitHub's public profile needs none).</summary>
    public string[]? Scopes { get; set; }

    /// <summary>The OAuth handler's own callback path; <c>/signin-&lt;scheme in lower case&gt;</c> by default.</summary>
    public string? CallbackPath { get; set; }

    /// <summary>Proof key for code exchange (RFC 7636); providers that do not know it ignore it.</summary>
    public bool UsePkce { get; set; } = true;

    /// <summary>The user JSON's property holding the provider's stable key for the user.</summary>
    public string UserIdField { get; set; } = "id";

    /// <summary>The user JSON's property holding the login name, the base of a new local user's name.</summary>
    public string UserNameField { get; set; } = "login";

    public string EmailField { get; set; } = "email";

    /// <summary>The user JSON's property holding the person's full name (recorded in the audit log).</summary>
    public string NameField { get; set; } = "name";

    /// <summary>github.com's endpoints, used by a section named GitHub for what it leaves out.</summary>
    internal static class GitHub
    {
        public const string Scheme = "GitHub";
        public const string AuthorizationEndpoint = "https://github.com/login/oauth/authorize";
        public const string TokenEndpoint = "https://github.com/login/oauth/access_token";
        public const string UserInformationEndpoint = "https://api.github.com/user";
    }

    /// <summary>Fills in what the section left out: GitHub's endpoints, the display name, the callback path.</summary>
    public void ApplyDefaults(string scheme)
    {
        if (string.Equals(scheme, GitHub.Scheme, StringComparison.OrdinalIgnoreCase))
        {
            AuthorizationEndpoint = Blank(AuthorizationEndpoint) ?? GitHub.AuthorizationEndpoint;
            TokenEndpoint = Blank(TokenEndpoint) ?? GitHub.TokenEndpoint;
            UserInformationEndpoint = Blank(UserInformationEndpoint) ?? GitHub.UserInformationEndpoint;
        }

        DisplayName = Blank(DisplayName) ?? scheme;
        CallbackPath = Blank(CallbackPath) ?? "/signin-" + scheme.ToLowerInvariant();
        Scopes = [.. (Scopes ?? []).Where(s => !string.IsNullOrWhiteSpace(s))];
    }

    /// <summary>What is wrong with the section, each naming its full configuration key.</summary>
    public IEnumerable<string> Validate(string scheme)
    {
        var key = $"{SectionName}:{scheme}";
        if (!SchemeName().IsMatch(scheme) || string.Equals(scheme, "callback", StringComparison.OrdinalIgnoreCase))
        {
            yield return $"{key}: the provider's name must be letters, digits, '-' or '_' (and not 'callback'); it becomes part of URLs.";
        }

        if (string.IsNullOrWhiteSpace(ClientSecret))
        {
            yield return $"{key}:ClientSecret is required when ClientId is set.";
        }

        foreach (var (name, value) in new[]
        {
            (nameof(AuthorizationEndpoint), AuthorizationEndpoint),
            (nameof(TokenEndpoint), TokenEndpoint),
            (nameof(UserInformationEndpoint), UserInformationEndpoint),
        })
        {
            if (string.IsNullOrWhiteSpace(value))
            {
                yield return $"{key}:{name} is required (only a provider named GitHub has defaults).";
            }
            else if (!IsHttpUrl(value))
            {
                yield return $"{key}:{name} must be an absolute http or https URL (is '{value}').";
            }
        }

        if (CallbackPath is { } path && (!path.StartsWith('/') || path.StartsWith("//", StringComparison.Ordinal) || path.Contains('?', StringComparison.Ordinal)))
        {
            yield return $"{key}:CallbackPath must be a path starting with '/' (is '{path}').";
        }

        foreach (var (name, value) in new[] { (nameof(UserIdField), UserIdField), (nameof(UserNameField), UserNameField) })
        {
            if (string.IsNullOrWhiteSpace(value))
            {
                yield return $"{key}:{name} must name a property of the user JSON.";
            }
        }
    }

    private static bool IsHttpUrl(string value) =>
        Uri.TryCreate(value, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp) && string.IsNullOrEmpty(uri.Fragment);

    private static string? Blank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    [GeneratedRegex("^[A-Za-z0-9_-]{1,64}$")]
    private static partial Regex SchemeName();
}
