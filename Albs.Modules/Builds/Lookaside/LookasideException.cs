namespace Albs.Modules.Builds.Lookaside;

/// <summary>Why a lookaside file could not be read, fetched or stored.</summary>
internal enum LookasideFailure
{
    /// <summary>The metadata or a request names something invalid.</summary>
    Invalid,

    /// <summary>Neither this server's lookaside nor the configured URL has the file.</summary>
    NotFound,

    /// <summary>The content does not match the checksum it was named with.</summary>
    Mismatch,

    /// <summary>The content is larger than <c>Builds:LookasideMaxFileSize</c>.</summary>
    TooLarge,

    /// <summary>The lookaside URL could not be reached or did not deliver in time.</summary>
    Unavailable,
}

/// <summary>
/// A lookaside error meant for the submitter: the message names the file (and, for a mismatch, the
/// expected and actual checksum) and becomes the SRPM task's error or an API problem's detail.
/// </summary>
internal sealed class LookasideException : Exception
{
    public LookasideException()
    {
    }

    public LookasideException(string message)
        : base(message)
    {
    }

    public LookasideException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public LookasideException(LookasideFailure failure, string message, Exception? innerException = null)
        : base(message, innerException) => Failure = failure;

    public LookasideFailure Failure { get; }
}
