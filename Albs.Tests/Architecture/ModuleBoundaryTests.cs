using Albs.Modules.Common.Persistence;
using Mono.Cecil;

namespace Albs.Tests.Architecture;

/// <summary>
/// Modules talk to each other only through their <c>Contracts</c>; the host uses contracts and
/// each module's registration class; the Common kernel depends on no module.
/// </summary>
public sealed class ModuleBoundaryTests
{
    private static readonly ModuleBoundaryChecker Checker = new("Albs.Modules", "Common");

    [Fact]
    public void Modules_use_each_other_only_through_contracts()
    {
        using var assembly = AssemblyDefinition.ReadAssembly(typeof(AlbsDbContext).Assembly.Location);
        var violations = Checker.Check(assembly, t => Checker.ModuleOf(t.Namespace));
        violations.Should().BeEmpty();
    }

    [Fact]
    public void The_web_host_uses_only_contracts_and_module_registrations()
    {
        using var assembly = AssemblyDefinition.ReadAssembly(typeof(Program).Assembly.Location);
        var violations = Checker.Check(assembly, _ => null);
        violations.Should().BeEmpty();
    }

    [Fact]
    public void Every_module_has_code_and_one_registration_class()
    {
        using var assembly = AssemblyDefinition.ReadAssembly(typeof(AlbsDbContext).Assembly.Location);
        var modules = assembly.MainModule.Types.Select(t => Checker.ModuleOf(t.Namespace)).OfType<string>().Distinct().ToList();
        modules.Should().Contain(["Common", "Identity"]);
        foreach (var module in modules)
        {
            assembly.MainModule.Types.Should().ContainSingle(t => t.FullName == $"Albs.Modules.{module}.{module}Module", $"module {module} needs one registration class");
        }
    }

    [Fact]
    public void The_checker_reports_a_module_reaching_into_another_modules_internals()
    {
        // Fixture types in this test assembly play two modules, Alpha and Beta.
        var checker = new ModuleBoundaryChecker("Albs.Tests.Architecture.Fixture", "Kernel");
        using var assembly = AssemblyDefinition.ReadAssembly(typeof(ModuleBoundaryTests).Assembly.Location);
        var violations = checker.Check(assembly, t => checker.ModuleOf(t.Namespace));
        violations.Should().BeEquivalentTo(
            "Albs.Tests.Architecture.Fixture.Alpha.UsesBetaInternals -> Albs.Tests.Architecture.Fixture.Beta.Internals.BetaSecret",
            "Albs.Tests.Architecture.Fixture.Kernel.KernelKnowsAlpha -> Albs.Tests.Architecture.Fixture.Alpha.Contracts.AlphaDto");
    }
}
