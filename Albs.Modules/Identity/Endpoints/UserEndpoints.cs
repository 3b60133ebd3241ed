using System.Security.Claims;
using Albs.Modules.Identity.Contracts;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Albs.Modules.Identity.Endpoints;

/// <summary>User administration and the audit log: superusers only.</summary>
internal static class UserEndpoints
{
    public static void Map(IEndpointRouteBuilder endpoints)
    {
        var users = endpoints.MapGroup("/api/v1/users").WithTags("Identity");
        users.MapGet("/", async (string? search, int? page, int? pageSize, ClaimsPrincipal actor, IUserAdministration admin, CancellationToken ct) =>
                (await admin.SearchAsync(actor, search, page ?? 1, pageSize ?? 50, ct)).ToHttp())
            .RequirePermission(IdentityPermissions.AdministerUsers).WithName("ListUsers");
        users.MapGet("/{user}", async (string user, ClaimsPrincipal actor, IUserAdministration admin, CancellationToken ct) =>
                (await admin.GetAsync(actor, user, ct)).ToHttp())
            .RequirePermission(IdentityPermissions.AdministerUsers).WithName("GetUser");
        users.MapPost("/", async (CreateUserRequest request, ClaimsPrincipal actor, IUserAdministration admin, CancellationToken ct) =>
                (await admin.CreateAsync(actor, request, ct)).ToHttp(u => $"/api/v1/users/{u.UserName}"))
            .RequirePermission(IdentityPermissions.AdministerUsers).WithName("CreateUser");
        users.MapPut("/{user}", async (string user, UpdateUserRequest request, ClaimsPrincipal actor, IUserAdministration admin, CancellationToken ct) =>
                (await admin.UpdateAsync(actor, user, request, ct)).ToHttp())
            .RequirePermission(IdentityPermissions.AdministerUsers).WithName("UpdateUser").WithSummary("Disable or enable, grant or take superuser, change e-mail.");

        endpoints.MapGet("/api/v1/audit", async ([AsParameters] AuditQuery query, ClaimsPrincipal actor, IAuditLog audit, CancellationToken ct) =>
                (await audit.SearchAsync(actor, query, ct)).ToHttp())
            .RequirePermission(IdentityPermissions.AdministerUsers).WithName("SearchAuditLog").WithTags("Identity")
            .WithSummary("The audit log, newest first; filters: actor, action (prefix by dots), objectType, objectId, since, until, page, pageSize.");
    }
}
