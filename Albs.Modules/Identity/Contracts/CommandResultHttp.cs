using Microsoft.AspNetCore.Http;

namespace Albs.Modules.Identity.Contracts;

/// <summary>Turns a command's outcome into the HTTP answer of an endpoint: the value, or problem details.</summary>
public static class CommandResultHttp
{
    /// <summary>
    /// 200 with the value, or 201 with <paramref name="createdAt"/>'s location when given; 400 with errors per field under <paramref name="invalidTitle"/>;
    /// 401/403 as <see cref="AccessResult.ToProblem"/>; anything else as a problem with the command's message.
    /// </summary>
    public static IResult ToHttp<T>(this CommandResult<T> result, Func<T, string>? createdAt = null, string invalidTitle = "The request is not valid.")
    {
        ArgumentNullException.ThrowIfNull(result);
        if (result.Succeeded)
        {
            return createdAt is null ? TypedResults.Ok(result.Value) : TypedResults.Created(createdAt(result.Value!), result.Value);
        }

        return result.StatusCode switch
        {
            StatusCodes.Status400BadRequest when result.Errors is { } errors => TypedResults.ValidationProblem(errors, title: invalidTitle),
            StatusCodes.Status401Unauthorized or StatusCodes.Status403Forbidden => new AccessResult(result.StatusCode, result.Error).ToProblem(),
            _ => TypedResults.Problem(detail: result.Error, statusCode: result.StatusCode),
        };
    }
}
