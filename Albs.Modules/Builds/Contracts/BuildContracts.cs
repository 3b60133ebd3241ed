namespace Albs.Modules.Builds.Contracts;

/// <summary>Body of <c>POST /api/v1/builds</c>.</summary>
/// <param name="Platforms">Where to build: each platform with the architectures wanted on it.</param>
/// <param name="Tasks">The sources, in order: a git URL with a branch, tag or commit, or an SRPM URL.</param>
/// <param name="IndependentTasks">Build the sources in parallel instead of one after another.</param>
/// <param name="MockOptions">Conditional builds and macro definitions for every task.</param>
/// <param name="LinkedBuilds">Builds whose packages are offered to this build's tasks as a repository.</param>
/// <param name="Priority">Orders this submitter's own work (−10 … 10); fairness between submitters is kept.</param>
/// <param name="Product">The product the build belongs to: the caller needs the manager or contributor role in its team.</param>
public sealed record SubmitBuildRequest(
    IReadOnlyList<BuildPlatformRequest>? Platforms,
    IReadOnlyList<BuildSourceRequest>? Tasks,
    bool IndependentTasks = false,
    MockOptionsRequest? MockOptions = null,
    IReadOnlyList<long>? LinkedBuilds = null,
    int Priority = 0,
    string? Product = null);

/// <summary>A platform and its architectures in a build request.</summary>
public sealed record BuildPlatformRequest(string? Name, IReadOnlyList<string>? Arches);

/// <summary>One source: <c>url</c> + <c>ref</c> for git, or <c>srpmUrl</c>.</summary>
public sealed record BuildSourceRequest(string? Url, string? Ref, string? SrpmUrl = null);

/// <summary>Like mock's <c>--with</c>, <c>--without</c> and <c>--define</c>.</summary>
public sealed record MockOptionsRequest(
    IReadOnlyList<string>? With = null,
    IReadOnlyList<string>? Without = null,
    IReadOnlyDictionary<string, string>? Defines = null);

/// <summary>A build as the API shows it.</summary>
public sealed record BuildResponse(
    long Id,
    string Status,
    string CreatedBy,
    DateTime CreatedAt,
    DateTime? FinishedAt,
    bool IndependentTasks,
    int Priority,
    MockOptionsRequest MockOptions,
    IReadOnlyList<long> LinkedBuilds,
    IReadOnlyList<BuildSourceResponse> Sources,
    IReadOnlyList<BuildTaskResponse> Tasks,
    string? Product = null);

/// <summary>A source with the commit its ref resolved to at submission.</summary>
public sealed record BuildSourceResponse(int Index, string Kind, string Url, string? Ref, string? RefKind, string? Commit);

/// <summary>One task of a build.</summary>
public sealed record BuildTaskResponse(
    long Id,
    int SourceIndex,
    string Platform,
    string Arch,
    string Status,
    string Url,
    string? Ref,
    string? Commit,
    string? Agent,
    int Attempt,
    DateTime CreatedAt,
    DateTime? StartedAt,
    DateTime? FinishedAt,
    string? Error,
    long? SrpmTaskId,
    long? AfterTaskId,
    IReadOnlyList<string> Logs,
    IReadOnlyList<BuildArtifactResponse> Artifacts);

/// <summary>A file a task produced.</summary>
public sealed record BuildArtifactResponse(string Name, string Type, long Size, string Sha256, string? Nevra, string Url);

/// <summary>A page of builds, newest first.</summary>
public sealed record BuildListResponse(IReadOnlyList<BuildSummaryResponse> Items, int Page, int PageSize, int Total);

/// <summary>A build in a list.</summary>
public sealed record BuildSummaryResponse(
    long Id,
    string Status,
    string CreatedBy,
    DateTime CreatedAt,
    DateTime? FinishedAt,
    IReadOnlyList<string> Packages,
    IReadOnlyList<string> Platforms,
    IReadOnlyList<string> Arches,
    string? Product = null);
