using Albs.Modules.Identity.Contracts;
using Microsoft.AspNetCore.Http;

namespace Albs.Modules.Identity.Endpoints;

/// <summary>Turns a command's outcome into the HTTP answer: the value, or problem details.</summary>
internal static class CommandHttp
{
    public static IResult ToHttp<T>(this CommandResult<T> result, Func<T, string>? createdAt = null)
    {
        if (result.Succeeded)
        {
            return createdAt is null ? TypedResults.Ok(result.Value) : TypedResults.Created(createdAt(result.Value!), result.Value);
        }

        return result.StatusCode switch
        {
            StatusCodes.Status400BadRequest when result.Errors is { } errors => TypedResults.ValidationProblem(errors, title: "The request is not valid."),
            StatusCodes.Status401Unauthorized => new AccessResult(StatusCodes.Status401Unauthorized, result.Error).ToProblem(),
            StatusCodes.Status403Forbidden => new AccessResult(StatusCodes.Status403Forbidden, result.Error).ToProblem(),
            _ => TypedResults.Problem(detail: result.Error, statusCode: result.StatusCode),
        };
    }
}
