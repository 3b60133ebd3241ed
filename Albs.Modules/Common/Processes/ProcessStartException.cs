namespace Albs.Modules.Common.Processes;

/// <summary>
/// Thrown when an external program cannot be started at all (missing program, not executable,
/// missing working directory...). The message names the program but never its arguments.
/// </summary>
public sealed class ProcessStartException : Exception
{
    /// <summary>Creates the exception without details.</summary>
    public ProcessStartException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public ProcessStartException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and the underlying cause.</summary>
    public ProcessStartException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception for a program that could not be started.</summary>
    /// <param name="fileName">The program that failed to start.</param>
    /// <param name="workingDirectory">The requested working directory, if any.</param>
    /// <param name="innerException">The underlying cause, usually a <see cref="System.ComponentModel.Win32Exception"/>.</param>
    public ProcessStartException(string fileName, string? workingDirectory, Exception innerException)
        : base(BuildMessage(fileName, workingDirectory, innerException), innerException)
    {
        FileName = fileName;
    }

    /// <summary>The program that could not be started, when known.</summary>
    public string? FileName { get; }

    private static string BuildMessage(string fileName, string? workingDirectory, Exception innerException)
    {
        var where = workingDirectory is null ? string.Empty : $" in working directory '{workingDirectory}'";
        return $"Could not start program '{fileName}'{where}: {innerException.Message}";
    }
}
