using Mono.Cecil;

namespace Albs.Tests.Architecture;

/// <summary>
/// Reads compiled IL (Mono.Cecil) and reports every place where code of one module touches a type
/// of another module outside that module's <c>Contracts</c> namespace. Because all modules share
/// one assembly, C# <c>internal</c> cannot enforce this; the IL can.
/// </summary>
internal sealed class ModuleBoundaryChecker(string modulesNamespace, string kernelModule)
{
    /// <summary>Module of a namespace under the modules root, or null.</summary>
    public string? ModuleOf(string? ns)
    {
        if (ns is null || !ns.StartsWith(modulesNamespace + ".", StringComparison.Ordinal))
        {
            return null;
        }

        var rest = ns[(modulesNamespace.Length + 1)..];
        var dot = rest.IndexOf('.', StringComparison.Ordinal);
        return dot < 0 ? rest : rest[..dot];
    }

    /// <summary>Whether code outside module <paramref name="target"/> may use <paramref name="type"/>.</summary>
    public bool IsPublicSurface(string target, TypeReference type)
    {
        var ns = NamespaceOf(type);
        var contracts = $"{modulesNamespace}.{target}.Contracts";
        return target == kernelModule
            || ns == contracts
            || ns.StartsWith(contracts + ".", StringComparison.Ordinal)
            // The registration entry point: AddXModule/MapXModule.
            || (ns == $"{modulesNamespace}.{target}" && TopLevel(type).Name == $"{target}Module");
    }

    /// <summary>Violations in an assembly: "Source.Type -> Target.Type".</summary>
    /// <param name="assembly">The compiled assembly to read.</param>
    /// <param name="ownerModule">The module a type belongs to; null for types outside any module (the host).</param>
    public IReadOnlyList<string> Check(AssemblyDefinition assembly, Func<TypeDefinition, string?> ownerModule)
    {
        var violations = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var type in assembly.MainModule.Types)
        {
            var owner = ownerModule(type);
            foreach (var used in UsedTypes(type))
            {
                var target = ModuleOf(NamespaceOf(used));
                if (target is null || target == owner)
                {
                    continue;
                }

                // The kernel knows no module; modules and the host see only public surfaces.
                if ((owner == kernelModule) || !IsPublicSurface(target, used))
                {
                    violations.Add($"{type.FullName} -> {TopLevel(used).FullName}");
                }
            }
        }

        return [.. violations];
    }

    private static string NamespaceOf(TypeReference type) => TopLevel(type).Namespace;

    private static TypeReference TopLevel(TypeReference type)
    {
        while (type.DeclaringType is not null)
        {
            type = type.DeclaringType;
        }

        return type;
    }

    /// <summary>Every type a type (with its nested types) mentions: signatures, attributes and IL operands.</summary>
    private static List<TypeReference> UsedTypes(TypeDefinition type)
    {
        var found = new List<TypeReference>();
        void Add(TypeReference? t)
        {
            switch (t)
            {
                case null:
                    return;
                case GenericInstanceType generic:
                    Add(generic.ElementType);
                    foreach (var arg in generic.GenericArguments)
                    {
                        Add(arg);
                    }

                    return;
                case TypeSpecification spec:
                    Add(spec.ElementType);
                    return;
                case GenericParameter:
                    return;
                default:
                    found.Add(t);
                    return;
            }
        }

        void AddAttributes(ICustomAttributeProvider provider)
        {
            foreach (var attribute in provider.CustomAttributes)
            {
                Add(attribute.AttributeType);
            }
        }

        void AddMethod(MethodReference method)
        {
            Add(method.DeclaringType);
            Add(method.ReturnType);
            foreach (var p in method.Parameters)
            {
                Add(p.ParameterType);
            }

            if (method is GenericInstanceMethod generic)
            {
                foreach (var arg in generic.GenericArguments)
                {
                    Add(arg);
                }
            }
        }

        foreach (var t in Flatten(type))
        {
            Add(t.BaseType);
            AddAttributes(t);
            foreach (var i in t.Interfaces)
            {
                Add(i.InterfaceType);
            }

            foreach (var f in t.Fields)
            {
                Add(f.FieldType);
                AddAttributes(f);
            }

            foreach (var p in t.Properties)
            {
                Add(p.PropertyType);
                AddAttributes(p);
            }

            foreach (var m in t.Methods)
            {
                AddMethod(m);
                AddAttributes(m);
                if (!m.HasBody)
                {
                    continue;
                }

                foreach (var v in m.Body.Variables)
                {
                    Add(v.VariableType);
                }

                foreach (var instruction in m.Body.Instructions)
                {
                    switch (instruction.Operand)
                    {
                        case TypeReference t2:
                            Add(t2);
                            break;
                        case MethodReference mr:
                            AddMethod(mr);
                            break;
                        case FieldReference fr:
                            Add(fr.DeclaringType);
                            Add(fr.FieldType);
                            break;
                    }
                }
            }
        }

        return found;
    }

    private static IEnumerable<TypeDefinition> Flatten(TypeDefinition type) =>
        new[] { type }.Concat(type.NestedTypes.SelectMany(Flatten));
}
